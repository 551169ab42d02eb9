"""The staff console's messages to residents: the list, composing with a preview per
messenger, the progress, cancelling, and the final report.

The rules are the chat's (`/announce`, `/broadcasts`): who may reach whom, urgency and the
time are checked by `broadcasts.compose` when the preview is made and again when the
message is stored; the preview's figures are the chat's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData, UploadFile
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels import text_with_options
from bot.channels.sms_text import sms_messages, sms_segments, split_whatsapp
from bot.i18n import IN_LANGUAGE, Translator
from bot.parsing import parse_id
from broadcasts.compose import (
    Audience,
    NotAllowed,
    clean_texts,
    create_broadcast,
    kind_for,
    may_broadcast,
    may_cancel,
    may_follow,
    may_send_council,
    may_send_urgent,
    place_of,
    places_of,
    preview_facts,
    quick_times,
    send_again_to_unknown,
    stop_broadcast,
    unknown_to_resend,
)
from broadcasts.dispatcher import progress_text, report_text
from broadcasts.quiet_hours import goes_at, held
from broadcasts.render import render
from handlers.broadcasts.manage import STATUS_LABELS
from models.audit import audit
from models.broadcasts import (
    LANGUAGES,
    TEXT_MAX,
    Broadcast,
    DeliveryStatus,
    Kind,
    Status,
    count_recipients,
    delivery_counts,
    first_line,
    get_broadcast,
    list_broadcasts,
)
from models.messaging import find_media, media_link, store_media
from models.roles import Role
from models.territory import list_localities, list_units, locality_by_id, place_label
from padome.cli.broadcasts import ATTACHMENT_MAX, ATTACHMENT_TYPES
from padome.console.forms import confirm, number, redirect, sure
from padome.console.times import fold_of, read_typed_time

if TYPE_CHECKING:
    from padome.console.pages import Console, Visit

# How often the progress page asks again while a message goes out, in seconds.
REFRESH_SENDING = 3
REFRESH_SCHEDULED = 60
WAITING = (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.SENDING)
WHEN_CHOICES = ("now", "evening", "tomorrow", "at")


@dataclass
class Draft:
    """A message being composed, as the form sent it."""

    texts: dict[str, str] = field(default_factory=dict)
    audience: str = ""
    unit_ids: list[int] = field(default_factory=list)
    urgent: bool = False
    when: str = "now"
    at: str = ""
    fold: int | None = None
    media: str = ""
    file_name: str = ""
    file_kind: str = ""


@dataclass
class Checked:
    """A draft that passed every rule: what the preview shows and the send stores."""

    audience: Audience
    kind: Kind
    place: str | None
    texts: dict[str, str]
    due: datetime


class Problems(Exception):
    """The form's mistakes, by field, in the person's language."""

    def __init__(self, problems: dict[str, str], twice: list[tuple[int, str]] | None = None):
        super().__init__("form problems")
        self.problems = problems
        self.twice = twice or []


def draft_from(form: FormData) -> Draft:
    texts = {
        language: str(form.get(f"text_{language}") or "").replace("\r\n", "\n")
        for language in LANGUAGES
    }
    unit_ids = [parse_id(str(value)) for value in form.getlist("unit")]
    when = str(form.get("when") or "now")
    return Draft(
        texts=texts,
        audience=str(form.get("audience") or ""),
        unit_ids=sorted({unit_id for unit_id in unit_ids if unit_id is not None}),
        urgent=form.get("urgent") == "1",
        when=when if when in WHEN_CHOICES else "now",
        at=str(form.get("at") or "").strip(),
        fold=fold_of(str(form.get("fold") or "")),
        media=str(form.get("media") or ""),
        file_name=str(form.get("file_name") or ""),
        file_kind=str(form.get("file_kind") or ""),
    )


class BroadcastPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.settings = console.settings

    def routes(self) -> list[BaseRoute]:
        page = self.console.page
        return [
            Route("/console/broadcasts", page(self.list_page), methods=["GET"]),
            Route("/console/broadcasts/new", page(self.compose_page), methods=["GET", "POST"]),
            Route("/console/broadcasts/preview", page(self.preview), methods=["POST"]),
            Route("/console/broadcasts/send", page(self.send), methods=["POST"]),
            # Opened again (after switching the language on a preview): a new form.
            Route("/console/broadcasts/preview", page(self.to_form), methods=["GET"]),
            Route("/console/broadcasts/send", page(self.to_form), methods=["GET"]),
            Route("/console/broadcasts/{broadcast_id}", page(self.progress), methods=["GET"]),
            Route(
                "/console/broadcasts/{broadcast_id}/cancel",
                page(self.cancel),
                methods=["GET", "POST"],
            ),
            Route(
                "/console/broadcasts/{broadcast_id}/resend",
                page(self.resend),
                methods=["GET", "POST"],
            ),
        ]

    # ------------------------------------------------------------------ rights

    async def refuse(self, visit: Visit, attempted: str, **details: Any) -> HTMLResponse:
        """Refused, written down, and told in a sentence."""
        await audit(
            visit.session,
            action="refused",
            actor_id=visit.resident.id,
            attempted=attempted,
            **details,
        )
        t = visit.t
        return self.console.message(
            t,
            t._("Not allowed"),
            t._("Sorry, you are not allowed to do that."),
            status_code=403,
            visit=visit,
        )

    async def followed(self, visit: Visit, attempted: str) -> Broadcast | None:
        """The message of the address if this person may follow it; else None, written down."""
        broadcast_id = parse_id(visit.request.path_params["broadcast_id"])
        broadcast = await get_broadcast(visit.session, broadcast_id) if broadcast_id else None
        if (
            broadcast is None
            or broadcast.kind == Kind.NOTICE.value
            or not may_follow(visit.roles, visit.resident.id, broadcast)
        ):
            await audit(
                visit.session,
                action="refused",
                actor_id=visit.resident.id,
                attempted=attempted,
                broadcast=broadcast_id,
            )
            return None
        return broadcast

    def not_found(self, visit: Visit) -> HTMLResponse:
        t = visit.t
        return self.console.message(
            t,
            t._("Not allowed"),
            t._("There is no message with that number that you can follow."),
            status_code=404,
            visit=visit,
        )

    # ------------------------------------------------------------------ the list

    async def list_page(self, visit: Visit) -> Response:
        if not may_broadcast(visit.roles):
            return await self.refuse(visit, "broadcasts")
        t = visit.t
        items = [
            item
            for item in await list_broadcasts(visit.session, limit=200, with_notices=False)
            if may_follow(visit.roles, visit.resident.id, item)
        ][:50]
        rows = []
        for item in items:
            counts = await delivery_counts(visit.session, item.id)
            rows.append(
                {
                    "item": item,
                    "status": self.status_of(t, item, visit.now),
                    "when": self.when_of(item, visit.now),
                    "delivered": counts[DeliveryStatus.DELIVERED.value],
                    "total": sum(counts.values()) - counts[DeliveryStatus.CANCELLED.value],
                    "text": first_line(item, 80),
                }
            )
        return self.console.show(visit, "broadcasts.html", active="broadcasts", rows=rows)

    def status_of(self, t: Translator, item: Broadcast, now: datetime) -> str:
        """As `/broadcasts` says it: one going out waits while the quiet hours last."""
        if item.status == Status.SENDING.value and held(
            self.settings, urgent=item.urgent, moment=now
        ):
            return t._("waiting for the quiet hours to end")
        return t._(STATUS_LABELS[item.status])

    def when_of(self, item: Broadcast, now: datetime) -> datetime:
        if item.status == Status.SCHEDULED.value:
            return goes_at(self.settings, due_at=item.due_at, urgent=item.urgent, now=now)
        return item.started_at or item.due_at

    async def to_form(self, visit: Visit) -> Response:
        return redirect("/console/broadcasts/new")

    # ------------------------------------------------------------------ composing

    async def audiences(self, visit: Visit) -> list[tuple[str, str]]:
        """The places a representative or deputy may reach, as the chat offers them."""
        t = visit.t
        roles = visit.roles
        choices: list[tuple[str, str]] = []
        units = {unit.id: unit for unit in await list_units(visit.session)}
        for unit_id in sorted(roles.units_as(Role.REPRESENTATIVE)):
            if unit_id in units:
                choices.append((f"unit:{unit_id}", units[unit_id].label_in(t.language)))
                for locality in await list_localities(visit.session, unit_id):
                    label = place_label(units[unit_id], locality, t.language)
                    choices.append((f"loc:{locality.id}", label))
        for locality_id in sorted(roles.localities_as(Role.DEPUTY)):
            locality = await locality_by_id(visit.session, locality_id)
            if locality is not None:
                choices.append(
                    (f"loc:{locality.id}", place_label(locality.unit, locality, t.language))
                )
        return choices

    async def compose_page(
        self,
        visit: Visit,
        *,
        draft: Draft | None = None,
        problems: dict[str, str] | None = None,
        twice: list[tuple[int, str]] | None = None,
        status_code: int = 200,
    ) -> Response:
        if not may_broadcast(visit.roles):
            return await self.refuse(visit, "broadcast")
        if draft is None:
            # "Change" on the preview posts the draft back here.
            draft = (
                draft_from(await visit.request.form())
                if visit.request.method == "POST"
                else Draft()
            )
        t = visit.t
        council = may_send_council(visit.roles)
        picks = quick_times(visit.now, self.settings.tz)
        response = self.console.show(
            visit,
            "broadcast_compose.html",
            active="broadcasts",
            draft=draft,
            problems=problems or {},
            twice=twice or [],
            council=council,
            units=await list_units(visit.session) if council else [],
            audiences=[] if council else await self.audiences(visit),
            may_urgent=may_send_urgent(visit.roles),
            evening=picks.get("evening"),
            tomorrow=picks["tomorrow"],
            example=t.datetime(picks["tomorrow"]),
            text_max=TEXT_MAX,
            other_languages=[(code, t._(IN_LANGUAGE[code])) for code in ("ru", "en")],
        )
        response.status_code = status_code
        return response

    async def check(self, visit: Visit, draft: Draft) -> Checked:
        """The draft through the chat's rules; Problems for what the person can correct,
        NotAllowed for what they may not do."""
        t = visit.t
        problems: dict[str, str] = {}
        texts: dict[str, str] = {}
        try:
            texts = clean_texts(draft.texts)
        except ValueError:
            if not draft.texts.get("lv", "").strip():
                problems["text_lv"] = t._("Please write the text of the message in Latvian.")
            for language, text in draft.texts.items():
                if len(text.strip()) > TEXT_MAX:
                    problems[f"text_{language}"] = t._(
                        "That is too long: at most {limit} characters, please. Yours has {length}.",
                        limit=t.number(TEXT_MAX),
                        length=t.number(len(text.strip())),
                    )
        audience = await self.audience_of(visit, draft, problems)
        if draft.urgent and not may_send_urgent(visit.roles):
            raise NotAllowed("urgent")
        twice: list[tuple[int, str]] = []
        due = self.due_of(visit, draft, problems, twice)
        if problems or audience is None or due is None:
            raise Problems(problems, twice)
        kind = await kind_for(visit.session, visit.roles, audience)
        place = await place_of(visit.session, audience) if kind is Kind.ANNOUNCEMENT else None
        return Checked(audience, kind, place, texts, due)

    async def audience_of(
        self, visit: Visit, draft: Draft, problems: dict[str, str]
    ) -> Audience | None:
        target, _, value = draft.audience.partition(":")
        if target == "all" and not value:
            audience = Audience()
        elif target == "units" and not value:
            if not draft.unit_ids:
                problems["audience"] = visit.t._("Choose at least one parish or town.")
                return None
            audience = Audience(unit_ids=tuple(draft.unit_ids))
        elif target == "unit" and (unit_id := parse_id(value)) is not None:
            audience = Audience(unit_ids=(unit_id,))
        elif target == "loc" and (locality_id := parse_id(value)) is not None:
            audience = Audience(locality_id=locality_id)
        else:
            problems["audience"] = visit.t._("Choose who should get it.")
            return None
        # The same rule as the chat's buttons: a forged choice is refused here.
        await kind_for(visit.session, visit.roles, audience)
        return audience

    def due_of(
        self, visit: Visit, draft: Draft, problems: dict[str, str], twice: list[tuple[int, str]]
    ) -> datetime | None:
        t = visit.t
        picks = quick_times(visit.now, self.settings.tz)
        if draft.when == "now":
            return visit.now
        if draft.when in ("evening", "tomorrow"):
            moment = picks.get(draft.when)
            if moment is None:
                problems["when"] = t._("That time has already passed. Please choose a later one.")
            return moment
        typed = read_typed_time(
            t,
            draft.at,
            fold=draft.fold,
            timezone=self.settings.tz,
            now=visit.now,
            example=t.datetime(picks["tomorrow"]),
        )
        if typed.moment is None:
            problems["at"] = typed.problem or ""
            twice.extend(typed.twice)
            return None
        if typed.moment <= visit.now:
            problems["at"] = t._("That time has already passed. Please choose a later one.")
            return None
        return typed.moment

    async def keep_file(self, visit: Visit, form: FormData, draft: Draft) -> str | None:
        """Keep an uploaded photo or PDF in the media store, as the chat keeps one; a
        problem's text when it cannot go."""
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return None
        t = visit.t
        kind = ATTACHMENT_TYPES.get(PurePath(upload.filename).suffix.casefold())
        if kind is None:
            return t._("Only a photo or a PDF can go with the message. Please try again.")
        content = await upload.read(ATTACHMENT_MAX + 1)
        if len(content) > ATTACHMENT_MAX:
            return t._("The file is larger than 10 MB. Please choose a smaller one.")
        if not content:
            return t._("The file is empty. Please choose another one.")
        name = PurePath(upload.filename).name[-120:]
        media = await store_media(visit.session, filename=name, mime_type=kind[1], content=content)
        draft.media, draft.file_name, draft.file_kind = media.token, name, kind[0]
        return None

    async def preview(self, visit: Visit) -> Response:
        """The message as residents on each messenger will get it, and the chat's figures."""
        if not may_broadcast(visit.roles):
            return await self.refuse(visit, "broadcast")
        form = await visit.request.form()
        draft = draft_from(form)
        if form.get("drop_file") == "1":
            draft.media = draft.file_name = draft.file_kind = ""
        file_problem = await self.keep_file(visit, form, draft)
        try:
            checked = await self.check(visit, draft)
            if file_problem:
                raise Problems({"file": file_problem})
        except NotAllowed as refused:
            return await self.refuse(visit, f"broadcast_{refused}", target=draft.audience)
        except Problems as wrong:
            problems = dict(wrong.problems)
            if file_problem:
                problems["file"] = file_problem
            return await self.compose_page(
                visit, draft=draft, problems=problems, twice=wrong.twice, status_code=400
            )
        t = visit.t
        broadcast = self.draft_broadcast(draft, checked)
        places = await places_of(visit.session, broadcast)
        file_url = (
            media_link(self.settings.public_base_url, draft.media)
            if draft.media and self.settings.public_base_url
            else None
        )
        versions = []
        for language in [code for code in LANGUAGES if code in checked.texts]:
            replies = render(broadcast, language, timezone=self.settings.tz, places=places)
            sms = [
                (message, sms_segments(message).count)
                for reply in replies
                for message in sms_messages(
                    reply,
                    file_url=file_url,
                    transliterate=self.settings.sms_transliterate,
                    max_segments=self.settings.sms_max_segments,
                )
            ]
            versions.append(
                {
                    "language": language,
                    "label": t._(IN_LANGUAGE[language]),
                    "telegram": replies,
                    "whatsapp": [
                        part
                        for reply in replies
                        if reply.text
                        for part in split_whatsapp(text_with_options(reply))
                    ],
                    "sms": sms,
                    "sms_segments": sum(count for _, count in sms),
                }
            )
        facts = await preview_facts(
            visit.session,
            t,
            broadcast,
            settings=self.settings,
            media_token=draft.media or None,
            due=checked.due,
            now=visit.now,
        )
        return self.console.show(
            visit,
            "broadcast_preview.html",
            active="broadcasts",
            draft=draft,
            versions=versions,
            facts=facts,
            attachment=draft.file_name,
        )

    def draft_broadcast(self, draft: Draft, checked: Checked) -> Broadcast:
        audience = checked.audience
        return Broadcast(
            kind=checked.kind.value,
            place=checked.place,
            texts=checked.texts,
            urgent=draft.urgent,
            unit_ids=list(audience.unit_ids) if audience.unit_ids is not None else None,
            locality_id=audience.locality_id,
            attachment_kind=draft.file_kind or None,
            attachment_name=draft.file_name or None,
        )

    async def send(self, visit: Visit) -> Response:
        """Store the message shown in the preview, its rules checked once more."""
        if not may_broadcast(visit.roles):
            return await self.refuse(visit, "broadcast")
        draft = draft_from(await visit.request.form())
        try:
            checked = await self.check(visit, draft)
        except NotAllowed as refused:
            return await self.refuse(visit, f"broadcast_{refused}", target=draft.audience)
        except Problems as wrong:
            return await self.compose_page(
                visit, draft=draft, problems=wrong.problems, twice=wrong.twice, status_code=400
            )
        media = await find_media(visit.session, draft.media, now=visit.now) if draft.media else None
        if draft.media and media is None:
            draft.media = draft.file_name = draft.file_kind = ""
            return await self.compose_page(
                visit,
                draft=draft,
                problems={"file": visit.t._("The file is no longer kept. Please add it again.")},
                status_code=400,
            )
        try:
            broadcast = await create_broadcast(
                visit.session,
                roles=visit.roles,
                created_by_id=visit.resident.id,
                audience=checked.audience,
                texts=checked.texts,
                due_at=checked.due,
                now=visit.now,
                urgent=draft.urgent,
                # By the file kept, not by the form: a photo is shown, anything else sent as is.
                attachment_kind=(
                    ("photo" if media.mime_type.startswith("image/") else "document")
                    if media
                    else None
                ),
                attachment_name=media.filename if media else None,
                attachment=media.content if media else None,
            )
        except NotAllowed:
            return await self.refuse(visit, "broadcast_audience", target=draft.audience)
        except ValueError:
            return await self.compose_page(
                visit,
                draft=draft,
                problems={
                    "at": visit.t._("That time has already passed. Please choose a later one.")
                },
                status_code=400,
            )
        await audit(
            visit.session,
            action="broadcast_created",
            actor_id=visit.resident.id,
            broadcast=broadcast.id,
            via="console",
        )
        return redirect(f"/console/broadcasts/{broadcast.id}?created=1")

    # ------------------------------------------------------------------ following one

    async def progress(self, visit: Visit) -> Response:
        broadcast = await self.followed(visit, "broadcast_show")
        if broadcast is None:
            return self.not_found(visit)
        t = visit.t
        counts = await delivery_counts(visit.session, broadcast.id)
        total = sum(counts.values()) - counts[DeliveryStatus.CANCELLED.value]
        waiting = sum(counts[state.value] for state in WAITING)
        finished = broadcast.status in (Status.DONE.value, Status.CANCELLED.value)
        refresh = None
        if broadcast.status == Status.SENDING.value:
            refresh = REFRESH_SENDING
        elif broadcast.status == Status.SCHEDULED.value:
            # Soon after its time comes; a message due now starts within a few seconds.
            wait = (self.when_of(broadcast, visit.now) - visit.now).total_seconds()
            refresh = int(min(max(wait, REFRESH_SENDING), REFRESH_SCHEDULED))
        query = visit.request.query_params
        stopped = query.get("cancelled", "")
        return self.console.show(
            visit,
            "broadcast.html",
            active="broadcasts",
            item=broadcast,
            status=self.status_of(t, broadcast, visit.now),
            when=self.when_of(broadcast, visit.now),
            audience=await self.audience_label(visit, broadcast),
            counts=counts,
            figures=[
                ("sent", t._("Sent"), counts["delivered"] + counts["sent"]),
                (
                    "failed",
                    t._("Failed"),
                    counts["failed"]
                    + counts["blocked"]
                    + counts["needs_template"]
                    + counts["unknown"],
                ),
                ("pending", t._("Waiting to be sent"), waiting),
                ("cancelled", t._("Cancelled"), counts["cancelled"]),
            ],
            progress_line=progress_text(t, broadcast.id, total - waiting, total),
            done=total - waiting,
            total=total,
            report=report_text(t, broadcast.id, counts).split("\n")
            if broadcast.status == Status.DONE.value
            else [],
            finished=finished,
            refresh=refresh,
            cancellable=may_cancel(broadcast),
            unknown=await unknown_to_resend(visit.session, broadcast),
            resent=number(query.get("resent")),
            created=query.get("created") == "1",
            cancelled=int(stopped)
            if stopped.isascii() and stopped.isdigit() and len(stopped) < 10
            else None,
            versions=", ".join(
                t._(IN_LANGUAGE[code]) for code in LANGUAGES if code in broadcast.texts
            ),
        )

    async def audience_label(self, visit: Visit, broadcast: Broadcast) -> str:
        if broadcast.everywhere:
            return visit.t._("All parishes and the town")
        audience = Audience(
            tuple(broadcast.unit_ids) if broadcast.unit_ids is not None else None,
            broadcast.locality_id,
        )
        return await place_of(visit.session, audience, visit.t.language) or "–"

    async def cancel(self, visit: Visit) -> Response:
        """Ask first; then stop the rows not yet sent, as the chat's Cancel does."""
        broadcast = await self.followed(visit, "broadcast_cancel")
        if broadcast is None:
            return self.not_found(visit)
        t = visit.t
        if not may_cancel(broadcast):
            return self.console.message(
                t,
                t._("Message #{id} can no longer be cancelled.", id=broadcast.id),
                t._("It has finished or was cancelled already."),
                status_code=409,
                visit=visit,
            )
        if visit.request.method == "GET":
            if broadcast.status == Status.SCHEDULED.value:
                reach = await count_recipients(visit.session, broadcast)
            else:
                counts = await delivery_counts(visit.session, broadcast.id)
                reach = sum(counts[state.value] for state in WAITING)
            return self.console.show(
                visit,
                "broadcast_cancel.html",
                active="broadcasts",
                item=broadcast,
                reach=reach,
                text=first_line(broadcast, 120),
            )
        stopped = await stop_broadcast(visit.session, broadcast)
        await audit(
            visit.session,
            action="broadcast_cancelled",
            actor_id=visit.resident.id,
            broadcast=broadcast.id,
            via="console",
        )
        return redirect(f"/console/broadcasts/{broadcast.id}?cancelled={stopped}")

    async def resend(self, visit: Visit) -> Response:
        """Send a finished message again to the residents a crash left "unknown": asked first,
        since they may already have it; the chat's "Send again" by the same action and rule."""
        broadcast = await self.followed(visit, "broadcast_resend")
        if broadcast is None:
            return self.not_found(visit)
        unknown = await unknown_to_resend(visit.session, broadcast)
        if not unknown:
            return self.nobody_again(visit, broadcast)
        t = visit.t
        back = f"/console/broadcasts/{broadcast.id}"
        if visit.request.method == "GET" or not sure(visit):
            return confirm(
                self.console,
                visit,
                heading=t._("Send message #{id} again?", id=broadcast.id),
                question=t.ngettext(
                    "Sending message #{id} was interrupted while it was on its way to {n} "
                    "resident. They may already have it: if you send it again, they may get it "
                    "twice. Send it again?",
                    "Sending message #{id} was interrupted while it was on its way to {n} "
                    "residents. They may already have it: if you send it again, they may get it "
                    "twice. Send it again?",
                    unknown,
                    id=broadcast.id,
                ),
                action=f"{back}/resend",
                fields={},
                yes=t._("Yes, send it again"),
                back=back,
                active="broadcasts",
            )
        again = await send_again_to_unknown(
            visit.session, broadcast, actor_id=visit.resident.id, via="console"
        )
        if not again:  # sent twice at once: the other one took them
            return self.nobody_again(visit, broadcast)
        return redirect(f"{back}?resent={again}")

    def nobody_again(self, visit: Visit, broadcast: Broadcast) -> HTMLResponse:
        t = visit.t
        return self.console.message(
            t,
            t._("Message #{id} has nobody to send it again to.", id=broadcast.id),
            t._(
                "Only a finished message goes again, and only to the residents it was on its "
                "way to when sending was interrupted."
            ),
            status_code=409,
            visit=visit,
        )
