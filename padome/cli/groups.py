"""`padome groups`: each unit's community group, how the bot hosts it, and who it let in."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from models.parish_groups import JoinStatus, group_counts
from models.territory import Unit, list_units
from padome.cli.common import in_session, out

app = typer.Typer(help="The parishes' and town's community groups.", no_args_is_help=True)


def link_state(unit: Unit) -> str:
    """How residents reach the unit's group, as staff read it."""
    if unit.telegram_group_chat_id is None:
        return "invite link only" if unit.invite_link else "no group"
    if unit.telegram_join_link:
        return "bot admits"
    if unit.telegram_join_link_problem == "not_admin":
        return "bot not admin"
    if unit.telegram_join_link_problem:
        return "link failed, /linkgroup again"
    return "link being made"


@app.command("list")
def groups_list() -> None:
    """Each unit's group: how it is linked, the link residents get, members the bot let in
    and requests waiting."""

    async def work(session: AsyncSession) -> Table:
        counts = await group_counts(session)
        table = Table("unit", "group", "state", "link", "let in", "waiting")
        for unit in await list_units(session):
            mine = counts.get(unit.id, {})
            table.add_row(
                unit.slug,
                str(unit.telegram_group_chat_id or ""),
                link_state(unit),
                unit.telegram_join_link or unit.invite_link or "",
                str(mine.get(JoinStatus.APPROVED.value, 0)),
                str(mine.get(JoinStatus.PENDING.value, 0)),
            )
        return table

    out.print(in_session(work))
