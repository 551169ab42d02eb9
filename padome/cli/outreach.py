"""`padome outreach`: places where posters hang, the unified text, posters and flyers as PDF,
and who joined through each place."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.router import fold
from bot.i18n import Translator
from bot.settings import SUPPORTED_LANGUAGES
from models.audit import audit
from models.outreach import (
    KIND_LABELS,
    KINDS,
    Placement,
    add_placement,
    kind_slug,
    list_placements,
    placement_by_code,
    placement_of_kind,
    reach,
    set_text,
)
from models.territory import Locality, Unit, list_localities, place_label
from padome.cli.common import fail, in_session, known_unit, load_settings, out
from reports.outreach_posters import (
    JOIN_SETTINGS,
    Format,
    placement_links,
    poster_for,
    poster_pdf,
)

app = typer.Typer(
    help="The outreach kit: posters and flyers that bring residents to the bot.",
    no_args_is_help=True,
)
placements_app = typer.Typer(help="Places where posters and flyers are.", no_args_is_help=True)
text_app = typer.Typer(help="The council's unified text per language.", no_args_is_help=True)
app.add_typer(placements_app, name="placements")
app.add_typer(text_app, name="text")

UnitOption = Annotated[str, typer.Option("--unit", help="The parish or town: alsviku.")]
LocalityOption = Annotated[
    str | None, typer.Option("--locality", help="A village or neighbourhood of it.")
]
Language = Annotated[str, typer.Option("--language", help="lv, ru or en.")]


async def _locality(session: AsyncSession, unit: Unit, name: str | None) -> Locality | None:
    if not name:
        return None
    wanted = fold(name)
    for locality in await list_localities(session, unit.id):
        if fold(locality.name) == wanted:
            return locality
    raise fail(
        f"{unit.name} has no village or neighbourhood {name!r}. See `padome localities list`."
    )


def _language(language: str) -> str:
    if language not in SUPPORTED_LANGUAGES:
        raise fail(f"--language is one of {', '.join(SUPPORTED_LANGUAGES)}.")
    return language


def _describe(placement: Placement) -> str:
    settings = load_settings()
    links = placement_links(settings, placement.code)
    lines = [
        f"{placement.code}  {placement.name} ({placement.place_in('en')}, {placement.kind})",
        f"  Telegram: {links.telegram or '- (set TELEGRAM_BOT_USERNAME)'}",
        f"  WhatsApp: {links.whatsapp or '- (no WhatsApp number)'}",
        f"  SMS: {links.keyword}" + (f" to {links.sms_number}" if links.sms_number else ""),
    ]
    return "\n".join(lines)


@placements_app.command("add")
def placements_add(
    unit: UnitOption,
    kind: Annotated[
        str,
        typer.Option(
            "--kind", help=f"One of {', '.join(KINDS)}, or any other word (market, church)."
        ),
    ],
    name: Annotated[str, typer.Option("--name", help='Its name: "Alsviķu bibliotēka".')],
    locality: LocalityOption = None,
) -> None:
    """Add a place where a poster or flyers will be; it gets its own code and links."""

    async def work(session: AsyncSession) -> str:
        found = await known_unit(session, unit)
        try:
            placement = await add_placement(
                session,
                unit=found,
                locality=await _locality(session, found, locality),
                kind=kind,
                name=name,
            )
        except ValueError as error:
            raise fail(f"Not added: {error}.") from None
        await audit(session, actor_id=None, action="outreach_place_added", placement=placement.id)
        return _describe(placement)

    out.print(in_session(work), highlight=False)


@placements_app.command("list")
def placements_list(
    unit: Annotated[str | None, typer.Option("--unit", help="Only this parish or town.")] = None,
) -> None:
    """Every place with its code and links."""

    async def work(session: AsyncSession) -> str:
        unit_id = (await known_unit(session, unit)).id if unit else None
        found = await list_placements(session, unit_id=unit_id)
        if not found:
            return "No places yet. Add one with `padome outreach placements add`."
        return "\n".join(_describe(item) for item in found)

    out.print(in_session(work), highlight=False)


@placements_app.command("retire")
def placements_retire(code: str) -> None:
    """Retire a place (the poster was taken down): its code then opens the bot as a normal
    start, with a short note; who joined through it stays counted."""

    async def work(session: AsyncSession) -> str:
        placement = await placement_by_code(session, code)
        if placement is None:
            raise fail(f"No place with the code {code!r}.")
        placement.active = False
        await audit(session, actor_id=None, action="outreach_place_retired", placement=placement.id)
        return f"Retired {placement.code} ({placement.name})."

    out.print(in_session(work), highlight=False)


@text_app.command("set")
def text_set(
    file: Annotated[Path, typer.Argument(help="A UTF-8 text file: the heading, then the text.")],
    language: Language = "lv",
) -> None:
    """Set the unified text printed on every poster and flyer in a language."""
    language = _language(language)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise fail(f"Cannot read {file}: {error}.") from None

    async def work(session: AsyncSession) -> str:
        try:
            await set_text(session, language=language, text=text)
        except ValueError as error:
            reason = "it is empty" if str(error) == "empty" else "it is too long for a poster"
            raise fail(f"Not set: {reason}.") from None
        await audit(session, actor_id=None, action="outreach_text_set", language=language)
        return f"The unified text in {language} is set."

    out.print(in_session(work), highlight=False)


@text_app.command("show")
def text_show(language: Language = "lv") -> None:
    """Print the unified text of a language (the default one until it is set)."""
    language = _language(language)
    settings = load_settings()

    async def work(session: AsyncSession) -> str:
        from reports.outreach_posters import unified_text

        return await unified_text(session, Translator(language, timezone=settings.tz))

    out.print(in_session(work), highlight=False)


@app.command("poster")
def poster(
    unit: UnitOption,
    placement: Annotated[
        str,
        typer.Option(
            "--placement",
            help=f"A place's code, or a kind ({', '.join(KINDS)}): the place of that kind "
            "there, added when there is none.",
        ),
    ],
    locality: LocalityOption = None,
    language: Language = "lv",
    page_format: Annotated[
        Format, typer.Option("--format", help="a4: a poster; a6: four flyers on an A4 sheet.")
    ] = Format.A4,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="The PDF file.")] = None,
) -> None:
    """Make the poster or flyers of a place as PDF."""
    language = _language(language)
    settings = load_settings()
    if not placement_links(settings, "").leads_anywhere:
        # A poster with no QR code, link or number brings nobody: refuse before adding a place.
        raise fail(
            "Not made: a poster needs a way into the bot, and none is set. Set "
            f"{', '.join(JOIN_SETTINGS[:-1])} or {JOIN_SETTINGS[-1]} (an SMS number "
            "starting with +) and run it again."
        )

    async def work(session: AsyncSession) -> tuple[Placement, bytes]:
        found_unit = await known_unit(session, unit)
        found_locality = await _locality(session, found_unit, locality)
        chosen = await placement_by_code(session, placement)
        if chosen is not None and chosen.unit_id != found_unit.id:
            raise fail(f"The place {chosen.code} is in {chosen.unit.name}, not {found_unit.name}.")
        if chosen is None:
            kind = kind_slug(placement)
            if kind not in KINDS:
                raise fail(
                    f"No place with the code {placement!r}, and it is not one of the kinds "
                    f"({', '.join(KINDS)}). See `padome outreach placements list`."
                )
            lv = Translator("lv", timezone=settings.tz)
            name = f"{lv._(KIND_LABELS[kind])}, {place_label(found_unit, found_locality, 'lv')}"
            try:
                chosen, made = await placement_of_kind(
                    session, unit=found_unit, locality=found_locality, kind=kind, default_name=name
                )
            except LookupError as several:
                raise fail(
                    f"There are several: {several}. Give the code with --placement."
                ) from None
            if made:
                await audit(
                    session, actor_id=None, action="outreach_place_added", placement=chosen.id
                )
        content = poster_pdf(
            await poster_for(session, settings, chosen, language), page_format=page_format
        )
        await audit(
            session,
            actor_id=None,
            action="outreach_poster",
            placement=chosen.id,
            format=page_format.value,
        )
        return chosen, content

    chosen, content = in_session(work)
    target = output or Path(f"poster-{chosen.code}-{page_format.value}-{language}.pdf")
    target.write_bytes(content)
    out.print(f"Wrote {target} for {chosen.name} (code {chosen.code}).", highlight=False)


@app.command("stats")
def stats(
    unit: Annotated[str | None, typer.Option("--unit", help="Only this parish or town.")] = None,
) -> None:
    """Residents who joined through each place, per week (weeks begin on Monday)."""
    settings = load_settings()

    async def work(session: AsyncSession) -> Table:
        unit_id = (await known_unit(session, unit)).id if unit else None
        table = Table("code", "place", "parish or town", "week from", "joined")
        for item in await reach(session, timezone=settings.tz, unit_id=unit_id):
            where = item.placement.place_in("en")
            table.add_row(item.placement.code, item.placement.name, where, "all", str(item.total))
            for week, count in item.weeks.items():
                table.add_row("", "", "", week.strftime("%d.%m.%Y"), str(count))
        return table

    out.print(in_session(work))
