"""The staff console's survey pages: the list, the builder, a survey's page with opening and
closing, the preview as residents read it, the results with paper questionnaires, the files.

Who may do what is the chat's rule (`may_run_surveys`: the chair, the vice-chair,
coordinators, administrators), checked on every request. Building, opening, closing, answers
on paper and the files use the same code as the chat, the command line and the scheduler.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from sqlalchemy import func, select
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.channels import text_with_options
from bot.channels.sms_text import sms_messages, sms_segments
from bot.dialog.context import Context
from bot.dialog.messages import Button, Incoming, Reply
from bot.i18n import N_, Translator
from bot.parsing import parse_id
from handlers.surveys.answering import ask_question
from handlers.surveys.lifecycle import ANSWER_LABEL, close_survey, invitation_text, open_survey
from handlers.surveys.listing import STATUS_LABELS, may_run_surveys
from models.audit import audit
from models.residents import Resident
from models.survey_answers import (
    AlreadyAnswered,
    NotOpen,
    first_unanswered,
    record_answer,
    send_response,
    start_paper_response,
    visible_questions,
)
from models.survey_drafts import (
    DRAFTS_MAX,
    SurveyDraft,
    TooManyDrafts,
    drafts_of,
    keep_draft,
    own_draft,
)
from models.survey_file import NO, YES, NotSchedulable, create_survey
from models.survey_results import compute_results
from models.surveys import (
    LANGUAGES,
    QuestionKind,
    Status,
    Survey,
    Visibility,
    audience_filter,
    end_survey_now,
    get_survey,
    list_surveys,
    response_counts,
    text_in,
)
from models.surveys import (
    Response as SurveyResponse,
)
from models.territory import Locality, list_localities, list_units
from padome.console import forms
from padome.console.forms import confirm, refused, sure
from padome.console.survey_draft import (
    CONDITION_KINDS,
    FILE_NAME,
    KINDS,
    Checked,
    Draft,
    Problems,
    apply_action,
    check_draft,
    check_file,
    draft_content,
    draft_from_content,
    draft_from_form,
    draft_from_spec,
    draft_from_survey,
    survey_yaml,
)
from reports.spreadsheets import CSV_MIME, XLSX_MIME
from reports.surveys import (
    chart_figures,
    charts_png,
    export_name,
    results_csv,
    results_text,
    results_xlsx,
)

if TYPE_CHECKING:
    from padome.console.pages import Console, Visit

KIND_LABELS = {
    QuestionKind.SINGLE.value: N_("One option"),
    QuestionKind.MULTIPLE.value: N_("Several options"),
    QuestionKind.SCALE.value: N_("Scale (1-5 or 1-10)"),
    QuestionKind.YESNO.value: N_("Yes or no"),
    QuestionKind.TEXT.value: N_("Free text"),
}
VISIBILITY_LABELS = {
    Visibility.LIVE.value: N_("Residents see the results while the survey runs"),
    Visibility.AFTER_CLOSE.value: N_("Residents see the results after it closes"),
    Visibility.STAFF.value: N_("Only the council and staff see the results"),
}
LANGUAGE_LABELS = {"lv": N_("Latvian"), "ru": N_("Russian"), "en": N_("English")}
PAPER_ROWS = 5
# A survey file of 50 questions in three languages is far below this.
UPLOAD_MAX = 500_000
YAML_MIME = "application/yaml; charset=utf-8"


@dataclass
class Preview:
    """What a resident reads on each messenger: the invitation, then each question."""

    language: str
    telegram: list[tuple[str, list[str]]] = field(default_factory=list)  # text, button labels
    whatsapp: list[str] = field(default_factory=list)
    sms: list[list[str]] = field(default_factory=list)  # each message, in SMS messages
    sms_segments: int = 0


@dataclass
class PaperRow:
    unit: str = ""
    answers: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.unit and not any(answer.strip() for answer in self.answers)


class SurveyPages:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.settings = console.settings
        console.templates.globals["may_run_surveys"] = may_run_surveys

    def routes(self) -> list[BaseRoute]:
        page = self.console.page
        guard = self.staff_only
        return [
            Route("/console/surveys", page(guard(self.index)), methods=["GET"]),
            Route("/console/surveys/new", page(guard(self.new)), methods=["GET"]),
            Route("/console/surveys/new", page(guard(self.build)), methods=["POST"]),
            Route("/console/surveys/import", page(guard(self.upload)), methods=["POST"]),
            Route(
                "/console/surveys/drafts/{draft_id}",
                page(guard(self.continue_draft)),
                methods=["GET"],
            ),
            Route(
                "/console/surveys/drafts/{draft_id}/delete",
                page(guard(self.delete_draft)),
                methods=["POST"],
            ),
            Route("/console/surveys/{survey_id}", page(guard(self.survey)), methods=["GET"]),
            Route(
                "/console/surveys/{survey_id}/preview", page(guard(self.preview)), methods=["GET"]
            ),
            Route("/console/surveys/{survey_id}/open", page(guard(self.open)), methods=["POST"]),
            Route("/console/surveys/{survey_id}/close", page(guard(self.close)), methods=["POST"]),
            Route(
                "/console/surveys/{survey_id}/results", page(guard(self.results)), methods=["GET"]
            ),
            Route(
                "/console/surveys/{survey_id}/chart-{part}.png",
                page(guard(self.chart)),
                methods=["GET"],
            ),
            Route("/console/surveys/{survey_id}/paper", page(guard(self.paper)), methods=["POST"]),
            Route(
                "/console/surveys/{survey_id}/export.{file_format}",
                page(guard(self.export)),
                methods=["GET"],
            ),
        ]

    # ------------------------------------------------------------------ rights

    def staff_only(
        self, view: Callable[[Visit], Awaitable[Response]]
    ) -> Callable[[Visit], Awaitable[Response]]:
        """Surveys are run by those who run them in chat; anyone else is refused, audited."""

        async def guarded(visit: Visit) -> Response:
            if not may_run_surveys(visit.roles):
                await audit(
                    visit.session,
                    action="refused",
                    actor_id=visit.resident.id,
                    attempted="console_surveys",
                    path=visit.request.url.path,
                )
                t = visit.t
                return self.console.message(
                    t,
                    t._("Not allowed"),
                    t._("Surveys are run by the chair, the vice-chair and the coordinators."),
                    status_code=403,
                    visit=visit,
                )
            return await view(visit)

        return guarded

    async def found(self, visit: Visit) -> Survey | None:
        survey_id = parse_id(visit.request.path_params["survey_id"])
        return await get_survey(visit.session, survey_id) if survey_id else None

    def missing(self, visit: Visit) -> Response:
        t = visit.t
        return self.console.message(
            t,
            t._("Not found"),
            t._("There is no survey with that number."),
            status_code=404,
            visit=visit,
        )

    def show(self, visit: Visit, name: str, **values: Any) -> Response:
        t = visit.t
        return self.console.show(
            visit,
            name,
            active="surveys",
            title_of=lambda survey: text_in(survey.title, t.language),
            status_of=lambda survey: t._(STATUS_LABELS[self.status(survey, visit)]),
            **values,
        )

    def status(self, survey: Survey, visit: Visit) -> str:
        """Closed from its closing time on (as `padome surveys list` says)."""
        if survey.status != Status.CLOSED.value and survey.closes_at <= visit.now:
            return Status.CLOSED.value
        return survey.status

    # ------------------------------------------------------------------ the list

    async def audience_label(self, visit: Visit, survey: Survey) -> str:
        t = visit.t
        if survey.everywhere:
            return t._("All residents")
        names = []
        units = {unit.id: unit for unit in await list_units(visit.session)}
        for unit_id in survey.unit_ids or []:
            if unit_id in units:
                names.append(units[unit_id].label_in(t.language))
        for locality_id in survey.locality_ids or []:
            locality = await visit.session.get(Locality, locality_id)
            if locality is not None:
                names.append(locality.name)
        return ", ".join(names)

    async def audience_size(self, visit: Visit, survey: Survey) -> int:
        found = await visit.session.scalar(
            select(func.count()).select_from(Resident).where(audience_filter(survey))
        )
        return int(found or 0)

    async def index(self, visit: Visit) -> Response:
        counts = await response_counts(visit.session)
        rows = []
        for survey in await list_surveys(visit.session, limit=100):
            rows.append(
                {
                    "survey": survey,
                    "audience": await self.audience_label(visit, survey),
                    "size": await self.audience_size(visit, survey),
                    "responses": counts.get(survey.id, 0),
                }
            )
        query = visit.request.query_params
        return self.show(
            visit,
            "surveys.html",
            rows=rows,
            drafts=await drafts_of(visit.session, visit.resident.id),
            kept=query.get("kept") == "1",
            deleted=query.get("deleted") == "1",
        )

    # ------------------------------------------------------------------ the builder

    async def new(self, visit: Visit) -> Response:
        return await self.builder(visit, Draft())

    async def builder(
        self,
        visit: Visit,
        draft: Draft,
        *,
        problems: Problems | None = None,
        preview: Preview | None = None,
        checked: bool = False,
        upload_problems: list[str] | None = None,
        status_code: int = 200,
    ) -> Response:
        t = visit.t
        units = await list_units(visit.session)
        localities = []
        for unit in units:
            for locality in await _localities(visit, unit.id):
                localities.append((f"{unit.slug}/{locality.name}", unit, locality))
        conditions = []
        for number, question in enumerate(draft.questions, start=1):
            if question.kind not in CONDITION_KINDS:
                continue
            labels = (
                [text_in(YES, t.language), text_in(NO, t.language)]
                if question.kind == QuestionKind.YESNO.value
                else [option.get("lv") or "…" for option in question.options]
            )
            for position, label in enumerate(labels, start=1):
                conditions.append((number, f"{number}:{position}", label))
        response = self.show(
            visit,
            "survey_builder.html",
            draft=draft,
            problems=problems or Problems(),
            preview=preview,
            checked=checked,
            upload_problems=upload_problems or [],
            units=units,
            localities=localities,
            conditions=conditions,
            kinds=[(kind, t._(KIND_LABELS[kind])) for kind in KINDS],
            visibilities=[(value, t._(label)) for value, label in VISIBILITY_LABELS.items()],
            languages_of_texts=[(code, t._(LANGUAGE_LABELS[code])) for code in LANGUAGES],
            yaml_text=survey_yaml(draft) if checked else "",
            draft_id=visit.values.get("draft_id"),
            drafts_full=visit.values.get("drafts_full", False),
            drafts_max=DRAFTS_MAX,
        )
        response.status_code = status_code
        return response

    async def build(self, visit: Visit) -> Response:
        """Every button of the builder posts the whole form; the page comes back from it."""
        assert visit.form is not None
        multi = _multi(await visit.request.body())
        draft = draft_from_form(visit.form, multi)
        action = visit.form.get("action", "")
        draft_id = forms.number(visit.form.get("draft"))
        changed = apply_action(draft, action, visit.form.get("new_type", ""))
        if action != "yaml" and (draft_id is not None or not draft.empty):
            # Every press keeps the draft, so leaving the page loses nothing.
            try:
                kept = await self.keep(visit, draft, draft_id)
            except TooManyDrafts:
                visit.values["drafts_full"] = True
            else:
                if kept is None:
                    return await refused(self.console, visit, "survey_draft", draft=draft_id)
                visit.values["draft_id"] = kept.id
        if action == "keep":
            if visit.values.get("draft_id"):
                return _redirect("/console/surveys?kept=1")
            if draft.empty:
                return _redirect("/console/surveys")
            return await self.builder(visit, draft)  # too many drafts, said on the page
        if changed:
            return await self.builder(visit, draft)
        if action == "yaml":
            return _download(survey_yaml(draft).encode(), FILE_NAME, YAML_MIME)
        checked = await check_draft(visit.session, draft, timezone=self.settings.tz, t=visit.t)
        if checked.problems:
            return await self.builder(
                visit, draft, problems=checked.problems, checked=False, status_code=422
            )
        if action == "save":
            return await self.save(visit, draft, checked)
        return await self.checked_page(visit, draft, checked, visit.form.get("preview_language"))

    async def checked_page(
        self, visit: Visit, draft: Draft, checked: Checked, language: str | None
    ) -> Response:
        """The builder with the preview; a time the file check cannot judge (a closing time
        already past, or too far ahead) is named at its field, as when saving."""
        preview = await self.preview_checked(visit, checked, language)
        if isinstance(preview, str):
            problems = Problems(visit.t)
            problems.survey["closes"] = [preview]
            return await self.builder(visit, draft, problems=problems, status_code=422)
        return await self.builder(visit, draft, preview=preview, checked=True)

    async def save(self, visit: Visit, draft: Draft, checked: Checked) -> Response:
        assert checked.spec is not None
        try:
            survey = await create_survey(
                visit.session,
                spec=checked.spec,
                audience=checked.audience,
                now=visit.now,
                created_by_id=visit.resident.id,
            )
        except NotSchedulable as error:
            problems = Problems(visit.t)
            problems.survey["closes"] = [error.said(visit.t)]
            return await self.builder(visit, draft, problems=problems, status_code=422)
        await audit(
            visit.session,
            action="survey_created",
            actor_id=visit.resident.id,
            survey=survey.id,
            via="console",
        )
        # Created, the survey is no longer a draft.
        draft_id = visit.values.get("draft_id")
        kept = await own_draft(visit.session, draft_id, visit.resident.id) if draft_id else None
        if kept is not None:
            await visit.session.delete(kept)
        return _redirect(f"/console/surveys/{survey.id}?saved=1")

    # ------------------------------------------------------------------ drafts

    async def keep(self, visit: Visit, draft: Draft, draft_id: int | None) -> SurveyDraft | None:
        """Keep the form as the person's own draft; None when the draft named is not theirs,
        TooManyDrafts when a new one would be too many."""
        kept = await keep_draft(
            visit.session,
            author_id=visit.resident.id,
            draft_id=draft_id,
            title=draft.title.get("lv") or next(iter(filter(None, draft.title.values())), ""),
            content=draft_content(draft),
            now=visit.now,
        )
        if kept is not None and draft_id is None:
            await audit(
                visit.session, action="survey_draft_kept", actor_id=visit.resident.id, draft=kept.id
            )
        return kept

    async def own(self, visit: Visit) -> SurveyDraft | Response:
        """The draft in the address if it is this person's; otherwise refused, written down."""
        draft_id = parse_id(visit.request.path_params["draft_id"])
        kept = await own_draft(visit.session, draft_id, visit.resident.id) if draft_id else None
        if kept is None:
            return await refused(self.console, visit, "survey_draft", draft=draft_id)
        return kept

    async def continue_draft(self, visit: Visit) -> Response:
        kept = await self.own(visit)
        if not isinstance(kept, SurveyDraft):
            return kept
        visit.values["draft_id"] = kept.id
        return await self.builder(visit, draft_from_content(kept.content))

    async def delete_draft(self, visit: Visit) -> Response:
        """Delete one's own draft, after a confirmation; nobody was asked anything yet."""
        kept = await self.own(visit)
        if not isinstance(kept, SurveyDraft):
            return kept
        t = visit.t
        if not sure(visit):
            return confirm(
                self.console,
                visit,
                heading=t._("Delete the draft"),
                question=t._(
                    'Delete the draft "{title}"? What was typed in it cannot be brought back.',
                    title=kept.title or t._("(no title yet)"),
                ),
                action=f"/console/surveys/drafts/{kept.id}/delete",
                fields={},
                yes=t._("Yes, delete it"),
                back="/console/surveys",
                active="surveys",
            )
        await visit.session.delete(kept)
        await audit(
            visit.session, action="survey_draft_deleted", actor_id=visit.resident.id, draft=kept.id
        )
        return _redirect("/console/surveys?deleted=1")

    async def upload(self, visit: Visit) -> Response:
        """A survey file brought in: checked as `padome surveys create --check` checks it,
        then in the builder to go on with."""
        assert visit.form is not None
        content = visit.form.get("file", "")
        name = visit.form.get("file_name") or FILE_NAME
        if len(content) > UPLOAD_MAX:
            content = ""  # read as no survey at all
        checked = await check_file(
            visit.session, content, name=name, timezone=self.settings.tz, t=visit.t
        )
        if checked.spec is None:
            listed = checked.problems.written or [
                visit.t._("The file is empty or not a survey file.")
            ]
            return await self.builder(visit, Draft(), upload_problems=listed, status_code=422)
        await audit(visit.session, action="survey_imported", actor_id=visit.resident.id)
        return await self.checked_page(visit, draft_from_spec(checked.spec), checked, None)

    # ------------------------------------------------------------------ the preview

    async def preview_checked(
        self, visit: Visit, checked: Checked, language: str | None
    ) -> Preview | str:
        """A checked draft stored for a moment (a savepoint, rolled back) and shown as the
        chat shows a stored survey; the reason when it could not be stored."""
        assert checked.spec is not None
        savepoint = await visit.session.begin_nested()
        try:
            try:
                survey = await create_survey(
                    visit.session,
                    spec=checked.spec,
                    audience=checked.audience,
                    now=visit.now,
                )
            except NotSchedulable as error:
                return error.said(visit.t)
            return self.render_preview(visit, survey, language)
        finally:
            await savepoint.rollback()

    def render_preview(self, visit: Visit, survey: Survey, language: str | None) -> Preview:
        chosen = language if language in LANGUAGES else "lv"
        t = Translator(chosen, timezone=self.settings.tz)
        replies = [Reply(invitation_text(survey, t), ((_button(t._(ANSWER_LABEL)),),))]
        draft: dict[str, Any] = {}
        for question in survey.questions:
            ctx = Context(
                incoming=Incoming(channel="telegram", user_id="preview", chat_id="preview"),
                session=visit.session,
                settings=self.settings,
                t=t,
                conversation=None,
                resident=None,
                roles=visit.roles,
                now=visit.now,
            )
            response = SurveyResponse(survey_id=survey.id, origin="chat", draft=dict(draft))
            ask_question(ctx, survey, response, question)
            replies.extend(item.reply for item in ctx.outbox.items)
            # The next questions are shown as after an answer that lets them all be asked.
            wanted = [
                item.show_if_option_id
                for item in survey.questions
                if item.show_if_option_id in {option.id for option in question.options}
            ]
            draft[str(question.id)] = {"o": wanted, "d": 1} if wanted else {"s": 1}
        preview = Preview(language=chosen)
        for reply in replies:
            preview.telegram.append((reply.text, [button.label for button in reply.options]))
            preview.whatsapp.append(text_with_options(reply))
            messages = sms_messages(
                reply,
                file_url=None,
                transliterate=self.settings.sms_transliterate,
                max_segments=self.settings.sms_max_segments,
            )
            preview.sms.append(messages)
            preview.sms_segments += sum(sms_segments(part).count for part in messages)
        return preview

    async def preview(self, visit: Visit) -> Response:
        survey = await self.found(visit)
        if survey is None:
            return self.missing(visit)
        language = visit.request.query_params.get("language")
        return self.show(
            visit,
            "survey_preview.html",
            survey=survey,
            preview=self.render_preview(visit, survey, language),
            languages_of_texts=[(code, visit.t._(LANGUAGE_LABELS[code])) for code in LANGUAGES],
        )

    # ------------------------------------------------------------------ one survey

    async def survey(self, visit: Visit) -> Response:
        survey = await self.found(visit)
        if survey is None:
            return self.missing(visit)
        counts = await response_counts(visit.session)
        query = visit.request.query_params
        return self.show(
            visit,
            "survey.html",
            survey=survey,
            status=self.status(survey, visit),
            audience=await self.audience_label(visit, survey),
            size=await self.audience_size(visit, survey),
            responses=counts.get(survey.id, 0),
            visibility=visit.t._(VISIBILITY_LABELS[survey.visibility]),
            kind_label=lambda kind: visit.t._(KIND_LABELS[kind]),
            saved=query.get("saved") == "1",
            opened=query.get("opened") == "1",
            closed=query.get("closed") == "1",
            error=None,
        )

    async def open(self, visit: Visit) -> Response:
        """Open a scheduled survey now: invited as the scheduler invites at its time."""
        survey = await self.found(visit)
        if survey is None:
            return self.missing(visit)
        if survey.status != Status.SCHEDULED.value or survey.closes_at <= visit.now:
            return self.not_now(visit, survey)
        survey.opens_at = min(survey.opens_at, visit.now)
        if not await open_survey(visit.session, survey, settings=self.settings, now=visit.now):
            return self.not_now(visit, survey)
        await audit(
            visit.session, action="survey_opened", actor_id=visit.resident.id, survey=survey.id
        )
        return _redirect(f"/console/surveys/{survey.id}?opened=1")

    async def close(self, visit: Visit) -> Response:
        """Close now, as "Close the survey now" in chat; the creator hears the count."""
        assert visit.form is not None
        survey = await self.found(visit)
        if survey is None:
            return self.missing(visit)
        if visit.form.get("sure") != "1":
            t = visit.t
            return self.console.message(
                t,
                t._("Not closed"),
                t._('Tick "Yes, close it" to close the survey.'),
                status_code=422,
                visit=visit,
            )
        if not end_survey_now(survey, visit.now):
            return self.not_now(visit, survey)
        await close_survey(visit.session, survey, settings=self.settings, now=visit.now)
        await audit(
            visit.session,
            action="survey_closed_early",
            actor_id=visit.resident.id,
            survey=survey.id,
        )
        return _redirect(f"/console/surveys/{survey.id}?closed=1")

    def not_now(self, visit: Visit, survey: Survey) -> Response:
        t = visit.t
        return self.console.message(
            t,
            t._("Not changed"),
            t._(
                "Survey No. {id} is {status} now, so this cannot be done.",
                id=survey.id,
                status=t._(STATUS_LABELS[self.status(survey, visit)]),
            ),
            status_code=409,
            visit=visit,
        )

    # ------------------------------------------------------------------ results

    async def results(
        self,
        visit: Visit,
        *,
        rows: list[PaperRow] | None = None,
        saved: int | None = None,
        status_code: int = 200,
    ) -> Response:
        survey = await self.found(visit)
        if survey is None:
            return self.missing(visit)
        t = visit.t
        outcome = await compute_results(visit.session, survey)
        units = await list_units(visit.session)
        names = {unit.id: unit.label_in(t.language) for unit in units}
        # Which questions each image shows; the images come one by one from `chart`.
        charts = [questions for questions, _ in await asyncio.to_thread(chart_figures, outcome, t)]
        allowed = await self.paper_units(visit, survey)
        response = self.show(
            visit,
            "survey_results.html",
            survey=survey,
            outcome=outcome,
            text=results_text(outcome, t, unit_names=names, staff=True),
            charts=charts,
            unit_name=lambda unit_id: names.get(unit_id, t._("not known")),
            percent=lambda part, whole: f"{round(100 * part / whole)} %" if whole else "–",
            paper_open=survey.is_open(visit.now),
            paper_units=[unit for unit in units if unit.id in allowed],
            rows=rows
            or [PaperRow(answers=[""] * len(survey.questions)) for _ in range(PAPER_ROWS)],
            saved=saved,
            kind_hint=lambda question: self.paper_hint(t, question),
        )
        response.status_code = status_code
        return response

    def paper_hint(self, t: Translator, question: Any) -> str:
        kind = question.kind
        if kind in (QuestionKind.SINGLE.value, QuestionKind.YESNO.value):
            return t._("option number, 1 to {n}", n=len(question.options))
        if kind == QuestionKind.MULTIPLE.value:
            return t._("option numbers, e.g. 1, 3")
        if kind == QuestionKind.SCALE.value:
            return t._("1 to {n}", n=question.scale_max or 5)
        return t._("the text")

    async def paper_units(self, visit: Visit, survey: Survey) -> set[int]:
        """The parishes and towns a paper questionnaire of this survey may come from."""
        units = {unit.id for unit in await list_units(visit.session)}
        if survey.everywhere:
            return units
        allowed = set(survey.unit_ids or [])
        for locality_id in survey.locality_ids or []:
            locality = await visit.session.get(Locality, locality_id)
            if locality is not None:
                allowed.add(locality.unit_id)
        return allowed & units

    async def chart(self, visit: Visit) -> Response:
        survey = await self.found(visit)
        part = parse_id(visit.request.path_params["part"])
        if survey is None or part is None:
            return Response("not found", status_code=404)
        outcome = await compute_results(visit.session, survey, with_texts=False)
        charts = await asyncio.to_thread(charts_png, outcome, visit.t)
        if not 1 <= part <= len(charts):
            return Response("not found", status_code=404)
        return Response(
            charts[part - 1].png, media_type="image/png", headers={"Cache-Control": "no-store"}
        )

    async def export(self, visit: Visit) -> Response:
        survey = await self.found(visit)
        file_format = visit.request.path_params["file_format"]
        if survey is None or file_format not in ("xlsx", "csv", "yaml"):
            return self.missing(visit)
        t = visit.t
        await audit(
            visit.session,
            action="survey_exported",
            actor_id=visit.resident.id,
            survey=survey.id,
            via="console",
            file_format=file_format,
        )
        units = await list_units(visit.session)
        if file_format == "yaml":
            localities = {
                locality.id: locality
                for unit in units
                for locality in await _localities(visit, unit.id)
            }
            draft = draft_from_survey(
                survey,
                units={unit.id: unit for unit in units},
                localities=localities,
                timezone=self.settings.tz,
            )
            return _download(survey_yaml(draft).encode(), f"survey-{survey.id}.yaml", YAML_MIME)
        outcome = await compute_results(visit.session, survey, text_limit=1_000_000)
        names = {unit.id: unit.label_in(t.language) for unit in units}
        if file_format == "csv":
            return _download(
                results_csv(outcome, t, unit_names=names), export_name(outcome, "csv"), CSV_MIME
            )
        return _download(
            results_xlsx(outcome, t, unit_names=names), export_name(outcome, "xlsx"), XLSX_MIME
        )

    # ------------------------------------------------------------------ paper questionnaires

    async def paper(self, visit: Visit) -> Response:
        """Paper questionnaires, one row a sheet: its parish or town and the answers by
        number, stored and counted as the chat's paper entry stores them."""
        assert visit.form is not None
        survey = await self.found(visit)
        if survey is None:
            return self.missing(visit)
        t = visit.t
        if not survey.is_open(visit.now):
            return self.not_now(visit, survey)
        form = visit.form
        allowed = await self.paper_units(visit, survey)
        count = len(survey.questions)
        rows = []
        for index in range(1, PAPER_ROWS + 1):
            rows.append(
                PaperRow(
                    unit=form.get(f"r{index}_unit", ""),
                    answers=[form.get(f"r{index}_q{n}", "") for n in range(1, count + 1)],
                )
            )
        saved = 0
        for row in rows:
            if row.empty:
                continue
            unit_id = parse_id(row.unit) if row.unit else None
            if unit_id is None or unit_id not in allowed:
                row.errors.append(t._("Choose the parish or town the sheet is from."))
                continue
            draft = self.paper_draft(t, survey, row)
            if row.errors:
                continue
            response = await start_paper_response(
                visit.session, survey=survey, unit_id=unit_id, entered_by=visit.resident
            )
            response.draft = draft
            try:
                await send_response(
                    visit.session, survey=survey, response=response, resident=None, now=visit.now
                )
            except (NotOpen, AlreadyAnswered):
                return self.not_now(visit, survey)
            await audit(
                visit.session,
                action="survey_paper_entered",
                actor_id=visit.resident.id,
                survey=survey.id,
                via="console",
            )
            saved += 1
        left = [row for row in rows if row.errors]
        left += [PaperRow(answers=[""] * count) for _ in range(PAPER_ROWS - len(left))]
        return await self.results(
            visit, rows=left, saved=saved, status_code=422 if any(r.errors for r in left) else 200
        )

    def paper_draft(self, t: Translator, survey: Survey, row: PaperRow) -> dict[str, Any]:
        """A sheet's answers as a draft; what cannot be read goes to `row.errors`."""
        draft: dict[str, Any] = {}
        response = SurveyResponse(draft={})
        for number, question in enumerate(survey.questions, start=1):
            if question not in visible_questions(survey, draft):
                continue
            typed = row.answers[number - 1].strip()
            if not typed:
                if question.required:
                    row.errors.append(t._("Question {n} needs an answer.", n=number))
                else:
                    draft[str(question.id)] = {"s": 1}
                continue
            answer = _paper_answer(question, typed)
            if answer is None:
                row.errors.append(
                    t._(
                        "Question {n}: {typed} is not an answer here ({hint}).",
                        n=number,
                        typed=typed,
                        hint=self.paper_hint(t, question),
                    )
                )
                continue
            record_answer(response, question, answer)
            draft = response.draft
        if not row.errors and first_unanswered(survey, draft) is not None:
            row.errors.append(t._("A question still needs an answer."))
        return draft


def _paper_answer(question: Any, typed: str) -> dict[str, Any] | None:
    kind = question.kind
    if kind == QuestionKind.TEXT.value:
        return {"t": typed} if len(typed) <= (question.max_length or 500) else None
    numbers = []
    for part in typed.replace(",", " ").replace(";", " ").split():
        if not (part.isascii() and part.isdigit() and len(part) < 4):
            return None
        numbers.append(int(part))
    if not numbers or len(set(numbers)) != len(numbers):
        return None
    if kind == QuestionKind.SCALE.value:
        top = question.scale_max or 5
        return {"v": numbers[0]} if len(numbers) == 1 and 1 <= numbers[0] <= top else None
    if not all(1 <= number <= len(question.options) for number in numbers):
        return None
    ids = [question.options[number - 1].id for number in numbers]
    if kind == QuestionKind.MULTIPLE.value:
        if len(ids) > (question.max_choices or len(question.options)):
            return None
        return {"o": ids, "d": 1}
    return {"o": ids} if len(ids) == 1 else None


async def _localities(visit: Visit, unit_id: int) -> list[Locality]:
    return await list_localities(visit.session, unit_id)


def _multi(body: bytes) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        return fields
    for key, value in pairs:
        fields.setdefault(key, []).append(value)
    return fields


def _button(label: str) -> Button:
    return Button(label, "preview")


def _redirect(target: str) -> Response:
    from padome.console.pages import HEADERS

    return RedirectResponse(target, status_code=303, headers=HEADERS)


def _download(content: bytes, name: str, mime: str) -> Response:
    from padome.console.pages import HEADERS

    return Response(
        content,
        media_type=mime,
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )
