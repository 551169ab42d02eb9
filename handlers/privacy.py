"""The person's own data: see it, take it away as a file, erase it."""

from __future__ import annotations

import enum
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from bot import db
from bot.channels import messenger
from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.payloads import Payload, payload
from bot.dialog.router import Needs, Router
from bot.i18n import LANGUAGE_NAMES, N_, Translator
from broadcasts.notices import send_notice
from broadcasts.service import JobContext
from handlers.meetings.texts import ANSWER_LABELS
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from handlers.neighbour_help.common import POST_STATUSES, REQUEST_STATUSES
from handlers.neighbour_help.common import label as help_label
from handlers.roles import role_with_place
from models.ideas import ideas_of
from models.neighbour_help import open_partners, posts_of, requests_of
from models.nominations import ACTIVE, list_nominations
from models.personal_data import ERASED_TABLES, EXPORT_FILENAME, forget, personal_data
from models.roles import list_grants_of

logger = logging.getLogger(__name__)

router = Router()

VACUUM_EVERY = timedelta(days=1)


class State(enum.StrEnum):
    FORGET = "privacy.forget"


class Answer(enum.StrEnum):
    YES = "yes"
    NO = "no"


@payload("forget")
class Forget(Payload):
    """Erase my data: asked first (no answer), then answered."""

    answer: Answer | None = None


# How an idea's state reads in the person's own data (the same words the ideas use).
IDEA_STATUSES = {
    "new": N_("new"),
    "in_progress": N_("in progress"),
    "forwarded": N_("forwarded"),
    "answered": N_("answered"),
    "closed": N_("closed"),
    "duplicate": N_("duplicate"),
}
# Enough of an idea's text to recognise it; the whole text is in the file.
IDEA_TEXT_SHOWN = 80

add_help("mydata", N_("see what is stored about you"), everyone)
add_help("forget", N_("erase your data"), everyone)
add_menu_entry(MenuEntry(N_("My data"), "mydata", order=90))


@router.command("mydata", needs=Needs.CONSENT)
@router.payload("mydata", needs=Needs.CONSENT)
async def my_data(ctx: Context) -> None:
    """Show what is stored and send it as a JSON file."""
    assert ctx.resident is not None
    data = await personal_data(ctx.session, ctx.resident)
    t = ctx.t
    about = data["resident"]
    unit, locality = ctx.resident.unit, ctx.resident.locality
    lines = [
        t._("This is what is stored about you:"),
        t._("Language: {language}", language=LANGUAGE_NAMES[ctx.resident.language]),
        t._("Parish or town: {unit}", unit=t.place(unit) if unit else "–"),
        t._(
            "Village or neighbourhood: {locality}", locality=t.place(locality) if locality else "–"
        ),
        t._("House: {address}", address=(data.get("house") or {}).get("address") or "–"),
        t._("Your name: {name}", name=about["name"] or "–"),
        t._("Phone: {phone}", phone=about["phone"] or "–"),
        t._("Agreed to the privacy notice: {when}", when=t.datetime(ctx.resident.consented_at))
        if ctx.resident.consented_at
        else "",
    ]
    lines.extend(
        t._("Account: {channel} {id}", channel=t._(messenger(item["channel"]).label), id=item["id"])
        for item in data["accounts"]
    )
    lines.extend(
        t._("Role: {role}", role=role_with_place(ctx, grant))
        for grant in await list_grants_of(ctx.session, ctx.resident.id)
    )
    lines.extend(_idea_lines(t, data.get("ideas") or []))
    lines.extend(_meeting_lines(t, data.get("meetings") or {}))
    lines.extend(await _help_lines(ctx))
    for link in data.get("trusted_helpers") or []:
        if link["status"] != "active":
            continue
        name = link["other_person_first_name"]
        helped = link["you_are"] == "helped"
        if name:
            lines.append(
                t._("Your trusted person: {name}", name=name)
                if helped
                else t._("You are the trusted person of: {name}", name=name)
            )
        else:
            lines.append(
                t._("You have a trusted person.")
                if helped
                else t._("You are the trusted person of a resident.")
            )
        if link["acts"]:
            lines.append(
                t.ngettext(
                    "Answered through the trusted person: {n} time",
                    "Answered through the trusted person: {n} times",
                    len(link["acts"]),
                )
            )
    lines.append(t._("Everything is in the attached file. To erase it, send /forget."))
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    ctx.reply(
        "\n".join(line for line in lines if line),
        [Button(t._("Main menu"), "menu")],
        attachment=Attachment(EXPORT_FILENAME, content, mime_type="application/json"),
    )
    await ctx.audit("personal_data_exported", resident=ctx.resident.id)


def _idea_lines(t: Translator, ideas: list[dict[str, Any]]) -> list[str]:
    """The person's ideas, one line each: when, which area, how far, and the text's start."""
    if not ideas:
        return []
    lines = [t._("Your ideas and concerns:")]
    for idea in ideas:
        text = " ".join((idea.get("text") or "").split())
        if len(text) > IDEA_TEXT_SHOWN:
            text = text[: IDEA_TEXT_SHOWN - 1] + "…"
        lines.append(
            t._(
                "No. {id} {date}, {area}: {status}. {text}",
                id=idea["id"],
                date=t.datetime(datetime.fromisoformat(idea["created_at"])),
                area=idea.get("area") or "–",
                status=t._(IDEA_STATUSES.get(idea.get("status") or "", N_("new"))),
                text=text,
            ).strip()
        )
    return lines


async def _help_lines(ctx: Context) -> list[str]:
    """The person's neighbour-help posts and requests, one line each, newest first."""
    assert ctx.resident is not None
    t = ctx.t
    posts = await posts_of(ctx.session, ctx.resident.id, limit=1000)
    requests = await requests_of(ctx.session, ctx.resident.id, limit=1000)
    if not posts and not requests:
        return []
    lines = [t._("Your neighbour help:")]
    lines.extend(
        t._("{post}: {status}", post=help_label(t, post), status=t._(POST_STATUSES[post.status]))
        for post in posts
    )
    lines.extend(
        t._(
            "My request: {post} ({status})",
            post=help_label(t, request.post),
            status=t._(REQUEST_STATUSES[request.status]),
        )
        for request in requests
    )
    return lines


def _meeting_lines(t: Translator, meetings: dict[str, Any]) -> list[str]:
    """The person's answers to meeting invitations, and the meetings they are recorded at."""
    lines: list[str] = []
    if meetings.get("answers"):
        lines.append(t._("Your answers to meeting invitations:"))
        for item in meetings["answers"]:
            lines.append(
                t._(
                    '{date} "{title}": {answer}',
                    date=t.datetime(datetime.fromisoformat(item["starts_at"])),
                    title=item["title"],
                    answer=t._(ANSWER_LABELS.get(item["answer"], item["answer"])),
                )
            )
    if meetings.get("attended"):
        lines.append(t._("Meetings you attended:"))
        for item in meetings["attended"]:
            lines.append(f"{t.datetime(datetime.fromisoformat(item['starts_at']))} {item['title']}")
    return lines


@router.command("forget", needs=Needs.CONSENT)
async def forget_command(ctx: Context) -> None:
    await ask_forget(ctx, Forget())


@router.button(Forget, needs=Needs.CONSENT)
async def ask_forget(ctx: Context, press: Forget) -> None:
    """Ask for confirmation before erasing; a button answer is checked against this person."""
    answer = press.answer
    assert ctx.resident is not None
    # Only the question just asked may be answered: an old "yes" button erases nothing.
    if answer is not None and ctx.state != State.FORGET:
        answer = None
    if answer is Answer.YES:
        resident_id = ctx.resident.id
        partners = await open_partners(ctx.session, resident_id)
        await forget(ctx.session, ctx.resident)
        # The other side of an open match learns only that it was withdrawn.
        await send_notice(
            ctx.session,
            settings=ctx.settings,
            resident_ids=partners,
            write=lambda t: t._("An offer or request of neighbour help you had was withdrawn."),
            now=ctx.now,
            buttons=[(N_("Neighbour help"), "nh")],
        )
        await ctx.audit("erased", resident=resident_id)
        await db.checkpoint_after_commit(ctx.session)
        ctx.forgotten = True
        ctx.reply(
            ctx.t._(
                "Your data has been erased. Only anonymous counts remain. "
                "Send /start if you want to come back."
            )
        )
        return
    if answer is Answer.NO:
        show_menu(ctx, ctx.t._("Nothing was erased."))
        return
    ctx.set_state(State.FORGET)
    lines = [
        ctx.t._(
            "Erase everything stored about you: your accounts, roles and what you wrote? "
            "This cannot be undone."
        )
    ]
    # What the person may not expect: what goes with them, and what stays without a name.
    if await list_nominations(ctx.session, candidate_id=ctx.resident.id, statuses=ACTIVE):
        lines.append(ctx.t._("Your candidacy is withdrawn, and the support given to it ends."))
    if any(idea.keep_text for idea in await ideas_of(ctx.session, ctx.resident.id, limit=1000)):
        lines.append(
            ctx.t._(
                "The texts of the ideas you allowed to keep stay with the council, without "
                "your name."
            )
        )
    ctx.reply(
        "\n\n".join(lines),
        [
            Button(ctx.t._("Yes, erase my data"), Forget(Answer.YES)),
            Button(ctx.t._("No, keep it"), Forget(Answer.NO)),
        ],
    )


async def vacuum_erased_tables(context: JobContext) -> None:
    """Once a day on PostgreSQL, VACUUM the tables erasure changes, so that the space of the
    old row versions with erased data is reused rather than kept in the files."""
    async with context.sessionmaker() as session:
        engine = session.bind
    if engine.dialect.name != "postgresql":
        return
    since = context.now - VACUUM_EVERY
    database = engine.url.render_as_string(hide_password=True)
    tried = _vacuum_tried_at.get(database)
    if tried is not None and tried > since:
        return
    if await db.vacuumed_since(engine, ERASED_TABLES, since):
        return
    _vacuum_tried_at[database] = context.now
    await db.vacuum(engine, ERASED_TABLES)
    if not await db.vacuumed_since(engine, ERASED_TABLES, since):
        logger.error("VACUUM skipped tables erasure changes: the database user must own them")
        return
    logger.info("vacuumed %d tables erasure changes", len(ERASED_TABLES))


# When this process last started the VACUUM of a database: should the server not record it
# (a database user who does not own the tables), it is tried once a day, not on every tick.
_vacuum_tried_at: dict[str, datetime] = {}
