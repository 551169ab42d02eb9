"""The `padome` command, assembled from one module per command group."""

from __future__ import annotations

import typer

from padome.cli import (
    broadcasts,
    bulletin,
    chat,
    db,
    groups,
    houses,
    ideas,
    meetings,
    neighbour_help,
    nominations,
    outreach,
    residents,
    roles,
    surveys,
    territory,
)

app = typer.Typer(help="Padome: the residents' council assistant.", no_args_is_help=True)
app.command()(chat.chat)
app.command()(chat.run)
app.command()(bulletin.bulletin)
app.add_typer(db.app, name="db")
app.add_typer(roles.app, name="roles")
app.add_typer(territory.localities_app, name="localities")
app.add_typer(territory.units_app, name="units")
app.add_typer(territory.territory_app, name="territory")
app.add_typer(broadcasts.app, name="broadcast")
app.add_typer(nominations.app, name="nominations")
app.add_typer(ideas.areas_app, name="areas")
app.add_typer(ideas.ideas_app, name="ideas")
app.add_typer(surveys.app, name="surveys")
app.add_typer(neighbour_help.app, name="help")
app.add_typer(meetings.app, name="meetings")
app.add_typer(groups.app, name="groups")
app.add_typer(houses.app, name="houses")
app.add_typer(outreach.app, name="outreach")
app.add_typer(residents.app, name="residents")
