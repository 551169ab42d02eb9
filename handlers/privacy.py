"""The person's own data: see it, take it away as a file, erase it."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from bot import db
from bot.channels import messenger
from bot.dialog.context import Context
from bot.dialog.messages import Attachment, Button
from bot.dialog.router import Needs, Router
from bot.i18n import LANGUAGE_NAMES, N_
from broadcasts.service import JobContext
from handlers.menu import MenuEntry, add_help, add_menu_entry, everyone, show_menu
from handlers.roles import role_label
from models.personal_data import ERASED_TABLES, EXPORT_FILENAME, forget, personal_data
from models.roles import list_grants_of

logger = logging.getLogger(__name__)

router = Router()

VACUUM_EVERY = timedelta(days=1)

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
    lines = [
        t._("This is what is stored about you:"),
        t._("Language: {language}", language=LANGUAGE_NAMES[ctx.resident.language]),
        t._("Parish or town: {unit}", unit=about["unit"] or "–"),
        t._("Village or neighbourhood: {locality}", locality=about["locality"] or "–"),
        t._("Name from your messenger: {name}", name=about["name_from_messenger"] or "–"),
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
        t._("Role: {role} {place}", role=role_label(ctx, grant.role), place=grant.place).strip()
        for grant in await list_grants_of(ctx.session, ctx.resident.id)
    )
    lines.append(t._("Everything is in the attached file. To erase it, send /forget."))
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    ctx.reply(
        "\n".join(line for line in lines if line),
        [Button(t._("Main menu"), "menu")],
        attachment=Attachment(EXPORT_FILENAME, content, mime_type="application/json"),
    )
    await ctx.audit("personal_data_exported", resident=ctx.resident.id)


@router.command("forget", needs=Needs.CONSENT)
@router.payload("forget", needs=Needs.CONSENT)
async def ask_forget(ctx: Context) -> None:
    """Ask for confirmation before erasing; a button answer is checked against this person."""
    answer = ctx.args[0] if ctx.payload and ctx.args else None
    assert ctx.resident is not None
    # Only the question just asked may be answered: an old "yes" button erases nothing.
    if answer is not None and ctx.state != "privacy.forget":
        answer = None
    if answer == "yes":
        resident_id = ctx.resident.id
        await forget(ctx.session, ctx.resident)
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
    if answer == "no":
        show_menu(ctx, ctx.t._("Nothing was erased."))
        return
    ctx.set_state("privacy.forget")
    ctx.reply(
        ctx.t._(
            "Erase everything stored about you: your accounts, roles and what you wrote? "
            "This cannot be undone."
        ),
        [
            Button(ctx.t._("Yes, erase my data"), "forget:yes"),
            Button(ctx.t._("No, keep it"), "forget:no"),
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
