"""`padome surveys`: create from a file, follow, close and export."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from broadcasts.compose import TIME_FORMAT
from models.audit import audit
from models.base import utcnow
from models.survey_file import SurveyFileError, create_survey, parse_survey_file, resolve_audience
from models.survey_results import Results, compute_results
from models.surveys import (
    Status,
    Survey,
    end_survey_now,
    get_survey,
    list_surveys,
    response_counts,
)
from models.territory import list_units
from padome.cli.common import Id, en, fail, in_session, load_settings, out, unreadable
from reports.surveys import export_name, results_csv, results_text, results_xlsx

app = typer.Typer(help="Resident surveys: create from a file, follow, export.")
app.info.no_args_is_help = True


@app.command("create")
def surveys_create(
    file: Annotated[Path, typer.Argument(help="The survey as YAML (see examples/survey.yaml).")],
    check: Annotated[bool, typer.Option(help="Only check the file; store nothing.")] = False,
) -> None:
    """Check a survey file and schedule the survey; the running bot opens and closes it."""

    settings = load_settings()
    try:
        content = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise unreadable(file, error) from None
    now = utcnow()
    try:
        spec = parse_survey_file(content, name=file.name, timezone=settings.tz)
    except SurveyFileError as error:
        raise fail("The survey file has problems:\n" + str(error)) from None

    async def work(session: AsyncSession) -> str:
        try:
            audience = await resolve_audience(session, spec, name=file.name)
        except SurveyFileError as error:
            raise fail("The survey file has problems:\n" + str(error)) from None
        if check:
            return en.ngettext(
                "{name} is fine: {n} question.",
                "{name} is fine: {n} questions.",
                len(spec.questions),
                name=file.name,
            )
        try:
            survey = await create_survey(session, spec=spec, audience=audience, now=now)
        except ValueError as error:
            raise fail(f"Not scheduled: {error}.") from None
        await audit(session, action="survey_created", actor_id=None, survey=survey.id)

        def local(moment: datetime) -> str:
            return moment.astimezone(settings.tz).strftime(TIME_FORMAT)

        return en.ngettext(
            'Survey #{id} "{title}" scheduled: {n} question, opens {opens}, closes {closes}; '
            "the running bot opens it and invites the residents.",
            'Survey #{id} "{title}" scheduled: {n} questions, opens {opens}, closes {closes}; '
            "the running bot opens it and invites the residents.",
            len(spec.questions),
            id=survey.id,
            title=survey.title["lv"],
            opens=local(survey.opens_at),
            closes=local(survey.closes_at),
        )

    typer.echo(in_session(work))


@app.command("list")
def surveys_list() -> None:
    """The latest surveys and polls with their state and number of responses."""
    settings = load_settings()

    async def work(session: AsyncSession) -> Table:
        table = Table("id", "kind", "status", "opens", "closes", "responses", "title")
        counts = await response_counts(session)
        now = utcnow()
        for item in await list_surveys(session):
            table.add_row(
                str(item.id),
                item.kind,
                _status(item, now),
                item.opens_at.astimezone(settings.tz).strftime(TIME_FORMAT),
                item.closes_at.astimezone(settings.tz).strftime(TIME_FORMAT),
                str(counts.get(item.id, 0)),
                item.title["lv"][:50],
            )
        return table

    out.print(in_session(work))


def _status(survey: Survey, now: datetime) -> str:
    """Closed from its closing time on, answers being refused from then, though the running
    bot records the close (and tells its creator) only on its next tick."""
    if survey.status != Status.CLOSED.value and survey.closes_at <= now:
        return Status.CLOSED.value
    return survey.status


async def _survey_results(
    session: AsyncSession, survey_id: int, language: str
) -> tuple[Results, dict[int, str]]:
    survey = await get_survey(session, survey_id)
    if survey is None:
        raise fail(f"No survey #{survey_id}. See `padome surveys list`.")
    units = {unit.id: unit.label_in(language) for unit in await list_units(session)}
    return await compute_results(session, survey, text_limit=1_000_000), units


@app.command("show")
def surveys_show(survey_id: Id) -> None:
    """The results as staff see them in chat, in the default language."""
    settings = load_settings()

    async def work(session: AsyncSession) -> str:
        results, units = await _survey_results(session, survey_id, settings.default_language)
        t = Translator(settings.default_language, timezone=settings.tz)
        return results_text(results, t, unit_names=units, staff=True)

    typer.echo(in_session(work))


@app.command("close")
def surveys_close(survey_id: Id) -> None:
    """Close a survey now; the running bot closes it on its next tick and tells its creator
    the number of responses (one not yet opened closes without inviting anybody)."""

    async def work(session: AsyncSession) -> str:
        survey = await get_survey(session, survey_id)
        if survey is None:
            raise fail(f"There is no survey #{survey_id}.")
        if not end_survey_now(survey, utcnow()):
            raise fail(f"Survey #{survey_id} has already closed.")
        await audit(session, action="survey_closed_early", actor_id=None, survey=survey_id)
        return f"Survey #{survey_id} closes now."

    typer.echo(in_session(work))


@app.command("export")
def surveys_export(
    survey_id: Id,
    file_format: Annotated[str, typer.Option("--format", help="xlsx or csv")] = "xlsx",
    output: Annotated[Path | None, typer.Option(help="The file to write.")] = None,
    language: Annotated[
        str | None,
        typer.Option(
            help="Language of the headings, answer labels and place names: lv, ru or en; "
            "the default language if not set."
        ),
    ] = None,
) -> None:
    """Write the results as an XLSX or CSV file (a CSV separated as that language's
    spreadsheets expect)."""
    if file_format not in ("csv", "xlsx"):
        raise fail("--format is xlsx or csv.")
    if language is not None and language not in ("lv", "ru", "en"):
        raise fail("--language is lv, ru or en.")
    settings = load_settings()
    chosen = language or settings.default_language

    async def work(session: AsyncSession) -> tuple[str, bytes]:
        results, units = await _survey_results(session, survey_id, chosen)
        t = Translator(chosen, timezone=settings.tz)
        write = results_csv if file_format == "csv" else results_xlsx
        content = write(results, t, unit_names=units)
        await audit(session, action="survey_exported", actor_id=None, survey=survey_id, via="cli")
        return export_name(results, file_format), content

    name, content = in_session(work)
    target = output or Path(name)
    try:
        target.write_bytes(content)
    except OSError as error:
        raise fail(f"Cannot write {target}: {type(error).__name__}.") from None
    typer.echo(f"Wrote {target}.")
