"""The staff console's nominations: rounds (opened, or ended early after a confirmation),
each parish's candidates, consent given on paper, verifying or rejecting with a reason, paper
supporters, and the files (XLSX, CSV, the PDF forms).

For coordinators (and administrators), as "Nominations: coordinator" in chat; the right is
checked on every request. Each change goes through the chat's own action, so the candidate
is told and the audit log written the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.parsing import parse_id, parse_number
from broadcasts.compose import quick_times
from handlers.nominations.coordinator import ROUND_STATUS, end_question, ended_text, may_end
from handlers.nominations.round_wizard import ROUND_LENGTHS, round_end_after, round_saved_text
from handlers.nominations.staff_review import (
    FILTERS,
    consent_done,
    consent_offline_and_tell,
    decide_and_tell,
    decision_done,
)
from handlers.nominations.support import tell_threshold
from handlers.nominations.texts import progress, refusal_text, status_label
from models.audit import audit
from models.nominations import (
    ACTIVE,
    MINIMUM_AGE,
    NAME_MAX,
    REASON_MAX,
    SUPPORTERS_NEEDED,
    Nomination,
    NominationStatus,
    Refused,
    add_paper_support,
    create_round,
    end_round_now,
    get_nomination,
    get_round,
    list_nominations,
    list_rounds,
    standings,
    supporters_of,
)
from models.territory import Unit, list_units
from padome.console.forms import confirm, redirect, sure
from padome.console.times import fold_of, read_typed_time
from reports.nomination_papers import (
    PDF_MIME,
    forms_pdf,
    nomination_tables,
    paper_of,
    unit_papers,
)
from reports.spreadsheets import CSV_MIME, XLSX_MIME, to_csv, to_xlsx

if TYPE_CHECKING:
    from padome.console.pages import Console, Visit

_MINUTE = timedelta(minutes=1)


@dataclass
class RoundForm:
    """A round being opened, as the form sent it."""

    units: str = "all"
    unit_ids: list[int] = field(default_factory=list)
    start: str = "now"
    start_at: str = ""
    start_fold: int | None = None
    end: str = str(ROUND_LENGTHS[0])
    end_at: str = ""
    end_fold: int | None = None
    supporters: str = str(SUPPORTERS_NEEDED)
    age: str = str(MINIMUM_AGE)
    multiple: bool = False


class NominationPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.settings = console.settings

    def routes(self) -> list[BaseRoute]:
        page = self.console.page
        base = "/console/nominations"
        return [
            Route(base, page(self.home), methods=["GET"]),
            Route(f"{base}/rounds", page(self.open_round), methods=["POST"]),
            Route(f"{base}/rounds/{{round_id}}/end", page(self.end_round), methods=["POST"]),
            Route(f"{base}/units/{{unit_id}}", page(self.unit_page), methods=["GET"]),
            Route(f"{base}/units/{{unit_id}}/{{name}}", page(self.unit_file), methods=["GET"]),
            Route(f"{base}/{{nomination_id}}", page(self.nomination_page), methods=["GET"]),
            Route(f"{base}/{{nomination_id}}/verify", page(self.verify), methods=["POST"]),
            Route(f"{base}/{{nomination_id}}/reject", page(self.reject), methods=["POST"]),
            Route(f"{base}/{{nomination_id}}/paper", page(self.paper), methods=["POST"]),
            Route(f"{base}/{{nomination_id}}/consent", page(self.consent), methods=["POST"]),
            Route(f"{base}/{{nomination_id}}/form.pdf", page(self.form_pdf), methods=["GET"]),
            # Opened again (after switching the language on a page a form showed): back.
            Route(f"{base}/rounds", page(self.to_home), methods=["GET"]),
            Route(f"{base}/rounds/{{round_id}}/end", page(self.to_home), methods=["GET"]),
            *(
                Route(
                    f"{base}/{{nomination_id}}/{action}", page(self.to_nomination), methods=["GET"]
                )
                for action in ("verify", "reject", "paper", "consent")
            ),
        ]

    async def to_home(self, visit: Visit) -> Response:
        return redirect("/console/nominations")

    async def to_nomination(self, visit: Visit) -> Response:
        nomination_id = parse_id(visit.request.path_params["nomination_id"]) or 0
        return redirect(f"/console/nominations/{nomination_id}")

    # ------------------------------------------------------------------ rights

    async def refused(self, visit: Visit, step: str, **details: Any) -> HTMLResponse | None:
        """None for a coordinator; otherwise refused (403) and written down, as the chat's
        `may_coordinate` does."""
        if visit.roles.is_staff:
            return None
        await audit(
            visit.session,
            action="refused",
            actor_id=visit.resident.id,
            attempted="nominations_staff",
            step=step,
            **details,
        )
        t = visit.t
        return self.console.message(
            t,
            t._("Not allowed"),
            t._("Nominations are handled by coordinators."),
            status_code=403,
            visit=visit,
        )

    def not_found(self, visit: Visit) -> HTMLResponse:
        t = visit.t
        return self.console.message(
            t,
            t._("Not found"),
            t._("That nomination does not exist."),
            status_code=404,
            visit=visit,
        )

    async def unit_of(self, visit: Visit) -> Unit | None:
        unit_id = parse_id(visit.request.path_params["unit_id"])
        return {unit.id: unit for unit in await list_units(visit.session)}.get(unit_id or 0)

    async def staff_nomination(self, visit: Visit, step: str) -> Nomination | Response:
        """The nomination of the address, for a coordinator; otherwise the refusal or "not
        found"."""
        if (refused := await self.refused(visit, step)) is not None:
            return refused
        nomination_id = parse_id(visit.request.path_params["nomination_id"])
        item = await get_nomination(visit.session, nomination_id) if nomination_id else None
        return item if item is not None else self.not_found(visit)

    async def again(
        self,
        visit: Visit,
        item: Nomination,
        field: str,
        problem: str,
        status_code: int,
        **kept: Any,
    ) -> Response:
        """The nomination's page once more, with what is wrong shown at its field."""
        return await self.nomination_page(
            visit, nomination=item, problems={field: problem}, status_code=status_code, **kept
        )

    # ------------------------------------------------------------------ rounds

    async def home(
        self,
        visit: Visit,
        *,
        form: RoundForm | None = None,
        problems: dict[str, str] | None = None,
        twice: dict[str, list[tuple[int, str]]] | None = None,
        saved: str = "",
        status_code: int = 200,
    ) -> Response:
        if (refused := await self.refused(visit, "home")) is not None:
            return refused
        t = visit.t
        units = await list_units(visit.session)
        names = {unit.id: unit.name_in(t.language) for unit in units}
        rounds = [
            {
                "item": item,
                "status": t._(ROUND_STATUS[item.status]),
                "where": t._("all parishes and the town")
                if item.unit_ids is None
                else ", ".join(names.get(unit_id, "?") for unit_id in item.unit_ids),
                "may_end": may_end(item, visit.now),
            }
            for item in await list_rounds(visit.session)
        ]
        active = await list_nominations(visit.session, statuses=ACTIVE)
        counts = {unit.id: 0 for unit in units}
        for item in active:
            counts[item.unit_id] = counts.get(item.unit_id, 0) + 1
        picks = quick_times(visit.now, self.settings.tz)
        response = self.console.show(
            visit,
            "nominations.html",
            active="nominations",
            rounds=rounds,
            units=units,
            counts=counts,
            form=form or RoundForm(),
            problems=problems or {},
            twice=twice or {},
            lengths=ROUND_LENGTHS,
            example=t.datetime(picks["tomorrow"]),
            saved=saved,
        )
        response.status_code = status_code
        return response

    async def open_round(self, visit: Visit) -> Response:
        """Store a round with the chat's rules: its dates, settings, and no overlap."""
        if (refused := await self.refused(visit, "round")) is not None:
            return refused
        posted = await visit.request.form()
        form = RoundForm(
            units="chosen" if posted.get("units") == "chosen" else "all",
            unit_ids=sorted(
                {
                    unit_id
                    for value in posted.getlist("unit")
                    if (unit_id := parse_id(str(value))) is not None
                }
            ),
            start=str(posted.get("start") or "now"),
            start_at=str(posted.get("start_at") or "").strip(),
            start_fold=fold_of(str(posted.get("start_fold") or "")),
            end=str(posted.get("end") or ""),
            end_at=str(posted.get("end_at") or "").strip(),
            end_fold=fold_of(str(posted.get("end_fold") or "")),
            supporters=str(posted.get("supporters") or "").strip(),
            age=str(posted.get("age") or "").strip(),
            multiple=posted.get("multiple") == "1",
        )
        t = visit.t
        problems: dict[str, str] = {}
        twice: dict[str, list[tuple[int, str]]] = {}
        known = {unit.id for unit in await list_units(visit.session)}
        unit_ids: list[int] | None = None
        if form.units == "chosen":
            unit_ids = [unit_id for unit_id in form.unit_ids if unit_id in known]
            if not unit_ids:
                problems["units"] = t._("Choose at least one parish or town.")
        start = self.moment(
            visit, "start", form.start, form.start_at, form.start_fold, problems, twice
        )
        if start is not None and start < visit.now - _MINUTE:
            problems["start_at"] = t._("That time has already passed. Please choose a later one.")
        end = None
        if start is not None:
            days = parse_number(form.end, low=1, high=1000)
            if days in ROUND_LENGTHS:
                end = round_end_after(start, days, self.settings.tz)
            else:
                end = self.moment(visit, "end", "at", form.end_at, form.end_fold, problems, twice)
            if end is not None and end <= max(start, visit.now):
                problems["end_at"] = t._(
                    "The end must come after the start and after now. Please try again."
                )
        supporters = parse_number(form.supporters, low=1, high=1000)
        if supporters is None:
            problems["supporters"] = t._(
                "Please write a number from {low} to {high}.", low=t.number(1), high=t.number(1000)
            )
        age = parse_number(form.age, low=14, high=120)
        if age is None:
            problems["age"] = t._(
                "Please write a number from {low} to {high}.", low=t.number(14), high=t.number(120)
            )
        if problems or start is None or end is None or supporters is None or age is None:
            return await self.home(
                visit, form=form, problems=problems, twice=twice, status_code=400
            )
        try:
            item = await create_round(
                visit.session,
                unit_ids=unit_ids,
                starts_at=max(start, visit.now),
                ends_at=end,
                now=visit.now,
                supporters_needed=supporters,
                minimum_age=age,
                multiple_support=form.multiple,
                created_by_id=visit.resident.id,
            )
        except Refused as refused:
            if refused.reason == "round_overlap":
                other = refused.details["round"]
                problems["round"] = t._(
                    "It overlaps round #{id} ({start} – {end}) in the same parishes. Change the "
                    "dates, or cancel.",
                    id=other.id,
                    start=t.datetime(other.starts_at),
                    end=t.datetime(other.ends_at),
                )
            else:
                problems["round"] = t._(
                    "The end must come after the start and after now. Please try again."
                )
            return await self.home(visit, form=form, problems=problems, status_code=400)
        await audit(
            visit.session,
            action="nomination_round_created",
            actor_id=visit.resident.id,
            round=item.id,
            via="console",
        )
        return await self.home(visit, saved=round_saved_text(t, self.settings, item, now=visit.now))

    async def end_round(self, visit: Visit) -> Response:
        """End a round early after a confirmation (one not started yet is cancelled), as
        "End round" in chat: nominating and supporting stop, and the candidates are told."""
        if (refused := await self.refused(visit, "end")) is not None:
            return refused
        round_id = parse_id(visit.request.path_params["round_id"])
        item = await get_round(visit.session, round_id) if round_id else None
        if item is None or not may_end(item, visit.now):
            return await self.to_home(visit)
        t = visit.t
        if not sure(visit):
            started = item.starts_at <= visit.now
            return confirm(
                self.console,
                visit,
                heading=t._("End round #{id}", id=item.id),
                question=end_question(t, item, now=visit.now),
                action=f"/console/nominations/rounds/{item.id}/end",
                fields={},
                yes=t._("Yes, end it") if started else t._("Yes, cancel it"),
                back="/console/nominations",
                active="nominations",
            )
        round_id = item.id
        cancelled = await end_round_now(visit.session, item, visit.now)
        await audit(
            visit.session,
            action="nomination_round_cancelled" if cancelled else "nomination_round_ended",
            actor_id=visit.resident.id,
            round=round_id,
            via="console",
        )
        return await self.home(
            visit,
            saved=ended_text(
                t, self.settings, round_id=round_id, cancelled=cancelled, now=visit.now
            ),
        )

    def moment(
        self,
        visit: Visit,
        name: str,
        choice: str,
        typed: str,
        fold: int | None,
        problems: dict[str, str],
        twice: dict[str, list[tuple[int, str]]],
    ) -> datetime | None:
        """A start or end: now, tomorrow 09:00, or typed `dd.mm.yyyy hh:mm`."""
        picks = quick_times(visit.now, self.settings.tz)
        if name == "start" and choice == "now":
            return visit.now
        if name == "start" and choice == "tomorrow":
            return picks["tomorrow"]
        t = visit.t
        read = read_typed_time(
            t,
            typed,
            fold=fold,
            timezone=self.settings.tz,
            now=visit.now,
            example=t.datetime(picks["tomorrow"]),
        )
        if read.moment is None:
            problems[f"{name}_at"] = read.problem or ""
            if read.twice:
                twice[name] = read.twice
        return read.moment

    # ------------------------------------------------------------------ a parish

    async def unit_page(self, visit: Visit) -> Response:
        if (refused := await self.refused(visit, "unit")) is not None:
            return refused
        unit = await self.unit_of(visit)
        if unit is None:
            return self.not_found(visit)
        t = visit.t
        wanted = visit.request.query_params.get("status") or "all"
        if wanted not in {value.value for value, _ in FILTERS}:
            wanted = "all"
        found = await list_nominations(
            visit.session, unit_id=unit.id, statuses=None if wanted == "all" else (wanted,)
        )
        standing = await standings(visit.session, found)
        rows = [
            {
                "item": item,
                "status": status_label(t, item.status),
                "count": standing[item.id].count,
                "needed": item.round.supporters_needed,
                "progress": progress(t, standing[item.id].count, item.round.supporters_needed),
            }
            for item in found
        ]
        return self.console.show(
            visit,
            "nomination_unit.html",
            active="nominations",
            unit=unit,
            rows=rows,
            filters=[(value.value, t._(label)) for value, label in FILTERS],
            wanted=wanted,
        )

    async def unit_file(self, visit: Visit) -> Response:
        """A parish's table (XLSX or CSV) or the forms of its candidates collecting support."""
        if (refused := await self.refused(visit, "export")) is not None:
            return refused
        unit = await self.unit_of(visit)
        name = visit.request.path_params["name"]
        if unit is None or name not in ("nominations.xlsx", "nominations.csv", "forms.pdf"):
            return self.not_found(visit)
        t = visit.t
        if name == "forms.pdf":
            papers = await unit_papers(visit.session, unit.id, collecting_only=True)
            content = forms_pdf(papers, timezone=self.settings.tz, printed_at=visit.now)
            await audit(
                visit.session,
                action="nomination_form_printed",
                actor_id=visit.resident.id,
                unit=unit.id,
            )
            return _download(content, PDF_MIME, f"nomination-forms-{unit.slug}.pdf")
        papers = await unit_papers(visit.session, unit.id)
        nominations, supporters = nomination_tables(t, papers)
        kind = name.rsplit(".", 1)[1]
        await audit(
            visit.session,
            action="nominations_exported",
            actor_id=visit.resident.id,
            unit=unit.id,
            format=kind,
        )
        if kind == "csv":
            return _download(
                to_csv(nominations, language=t.language), CSV_MIME, f"nominations-{unit.slug}.csv"
            )
        return _download(
            to_xlsx([nominations, supporters]), XLSX_MIME, f"nominations-{unit.slug}.xlsx"
        )

    # ------------------------------------------------------------------ a nomination

    async def nomination_page(
        self,
        visit: Visit,
        *,
        nomination: Nomination | None = None,
        notice: str | None = None,
        problems: dict[str, str] | None = None,
        reason: str = "",
        confirm_reject: bool = False,
        status_code: int = 200,
    ) -> Response:
        item = nomination or await self.staff_nomination(visit, "show")
        if not isinstance(item, Nomination):
            return item
        t = visit.t
        supporters = await supporters_of(visit.session, item.id)
        response = self.console.show(
            visit,
            "nomination.html",
            active="nominations",
            item=item,
            status=status_label(t, item.status),
            progress=progress(t, len(supporters), item.round.supporters_needed),
            supporters=supporters,
            collecting=item.collecting,
            awaiting=item.status == NominationStatus.AWAITING_CONSENT.value,
            verifiable=item.collecting and item.status != NominationStatus.VERIFIED.value,
            notice=notice or self.done_text(visit, item, supporters),
            problems=problems or {},
            reason=reason,
            confirm_reject=confirm_reject,
            reason_max=REASON_MAX,
            name_max=NAME_MAX,
        )
        response.status_code = status_code
        return response

    async def verify(self, visit: Visit) -> Response:
        return await self.decide(visit, verified=True)

    async def reject(self, visit: Visit) -> Response:
        return await self.decide(visit, verified=False)

    async def decide(self, visit: Visit, *, verified: bool) -> Response:
        """Verify, or reject with a reason after a confirmation; the candidate is told."""
        step = "verify" if verified else "reject"
        item = await self.staff_nomination(visit, step)
        if not isinstance(item, Nomination):
            return item
        assert visit.form is not None
        t = visit.t
        reason = None
        if not verified:
            reason = " ".join(str(visit.form.get("reason", "")).split())
            if not reason:
                return await self.again(
                    visit, item, "reason", t._("Please write a few words."), 400
                )
            if len(reason) > REASON_MAX:
                too_long = t._(
                    "That is too long: at most {limit} characters, please. Yours has {length}.",
                    limit=t.number(REASON_MAX),
                    length=t.number(len(reason)),
                )
                return await self.again(visit, item, "reason", too_long, 400, reason=reason)
            if visit.form.get("sure") != "1":
                # Rejecting cannot be undone: the reason is shown once more to confirm.
                return await self.nomination_page(
                    visit, nomination=item, reason=reason, confirm_reject=True
                )
        try:
            told = await decide_and_tell(
                visit.session,
                settings=self.settings,
                nomination=item,
                reason=reason,
                by=visit.resident,
                now=visit.now,
            )
        except Refused as refused:
            return await self.again(
                visit, item, "decision", refusal_text(t, refused, now=visit.now), 409
            )
        return self.back_to(item, done="decided", told=int(told))

    async def paper(self, visit: Visit) -> Response:
        """A supporter who signed on paper, typed in; the candidate told at the threshold."""
        item = await self.staff_nomination(visit, "paper")
        if not isinstance(item, Nomination):
            return item
        assert visit.form is not None
        t = visit.t
        name = str(visit.form.get("name", ""))
        try:
            supported = await add_paper_support(
                visit.session,
                nomination=item,
                name=name,
                recorded_by_id=visit.resident.id,
                now=visit.now,
            )
        except Refused as refused:
            return await self.again(
                visit, item, "name", refusal_text(t, refused, now=visit.now), 400
            )
        await audit(
            visit.session,
            action="paper_support_recorded",
            actor_id=visit.resident.id,
            nomination=item.id,
        )
        if supported.reached_threshold:
            await tell_threshold(
                visit.session,
                settings=self.settings,
                nomination=item,
                count=supported.count,
                now=visit.now,
            )
        return self.back_to(item, done="paper", support=supported.support.id)

    async def consent(self, visit: Visit) -> Response:
        """Record the consent a candidate gave on paper or in person, after a confirmation
        (it cannot be undone); the candidate, if they use the assistant, is told how to
        collect support."""
        item = await self.staff_nomination(visit, "consent")
        if not isinstance(item, Nomination):
            return item
        t = visit.t
        if item.status != NominationStatus.AWAITING_CONSENT.value:
            answered = t._("This nomination has already been answered.")
            return await self.again(visit, item, "decision", answered, 409)
        if not sure(visit):
            return confirm(
                self.console,
                visit,
                heading=t._("Record consent given offline"),
                question=t._(
                    "Record that {name} agreed to be a candidate? They then collect support, "
                    "and this cannot be undone.",
                    name=item.candidate_name,
                ),
                action=f"/console/nominations/{item.id}/consent",
                fields={},
                yes=t._("Yes, record the consent"),
                back=f"/console/nominations/{item.id}",
                active="nominations",
            )
        await consent_offline_and_tell(
            visit.session, settings=self.settings, nomination=item, by=visit.resident, now=visit.now
        )
        return self.back_to(item, done="consent")

    def back_to(self, item: Nomination, **shown: Any) -> Response:
        """To the nomination's page, which says what was done (a redirect, so that
        reloading it does not send the form again)."""
        return redirect(f"/console/nominations/{item.id}?{urlencode(shown)}")

    def done_text(self, visit: Visit, item: Nomination, supporters: list[Any]) -> str | None:
        """What the last change did, named by the address it led to."""
        query = visit.request.query_params
        t = visit.t
        if query.get("done") == "decided" and item.status in (
            NominationStatus.VERIFIED.value,
            NominationStatus.REJECTED.value,
        ):
            return decision_done(t, item, told=query.get("told") == "1")
        if query.get("done") == "consent" and item.collecting:
            return consent_done(t, self.settings, item)
        if query.get("done") == "paper":
            support_id = parse_id(query.get("support"))
            for support in supporters:
                if support.id == support_id:
                    return t._(
                        "Recorded: {name}. {candidate} has {progress}.",
                        name=support.name,
                        candidate=item.candidate_name,
                        progress=progress(t, len(supporters), item.round.supporters_needed),
                    )
        return None

    async def form_pdf(self, visit: Visit) -> Response:
        item = await self.staff_nomination(visit, "pdf")
        if not isinstance(item, Nomination):
            return item
        content = forms_pdf(
            [await paper_of(visit.session, item)], timezone=self.settings.tz, printed_at=visit.now
        )
        await audit(
            visit.session,
            action="nomination_form_printed",
            actor_id=visit.resident.id,
            nomination=item.id,
        )
        return _download(content, PDF_MIME, f"nomination-{item.id}.pdf")


def _download(content: bytes, mime_type: str, filename: str) -> Response:
    from padome.console.pages import HEADERS

    return Response(
        content,
        media_type=mime_type,
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )
