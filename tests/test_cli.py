"""Staff commands of `padome`: localities and roles, run as a staff member would."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from models import Role, RoleGrant
from models.base import utcnow
from padome.app import open_app
from tests.conftest import make_settings
from tests.test_console import run_padome

A_YEAR_AHEAD = (utcnow() + timedelta(days=365)).strftime("%d.%m.%Y 18:00")


def test_locality_added_by_cli_is_offered_in_onboarding(database_url: str, tmp_path: Path) -> None:
    added = run_padome(
        ["localities", "add", "alsviku", "Alsviķi"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    assert "Added Alsviķi to Alsviķu pagasts." in added.stdout
    again = run_padome(
        ["localities", "add", "alsviku", "alsviķi"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert again.returncode == 1
    assert "already has a locality" in again.stderr
    chat = run_padome(
        ["chat", "--user", "ilze"], stdin="3\n1\n2\n1\n", database_url=database_url, cwd=tmp_path
    )
    assert "Which village or neighbourhood? You may skip this." in chat.stdout
    assert "Saved: Alsviķu pagasts, Alsviķi." in chat.stdout


async def test_roles_grant_list_and_revoke(database_url: str, tmp_path: Path) -> None:
    refused = run_padome(
        ["roles", "grant", "console:maris", "representative", "--territory", "alsviku"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert refused.returncode == 1
    assert "must /start the bot first" in refused.stderr

    run_padome(
        ["chat", "--user", "maris"], stdin="3\n1\n2\n", database_url=database_url, cwd=tmp_path
    )
    no_unit = run_padome(
        ["roles", "grant", "console:maris", "representative"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert no_unit.returncode == 1 and "needs a unit" in no_unit.stderr
    granted = run_padome(
        ["roles", "grant", "console:maris", "representative", "--territory", "alsviku"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert granted.returncode == 0, granted.stderr
    listed = run_padome(["roles", "list"], stdin="", database_url=database_url, cwd=tmp_path)
    assert "console:maris" in listed.stdout and "representative" in listed.stdout

    async with open_app(make_settings(database_url)) as app, app.sessionmaker() as session:
        grant = await session.scalar(select(RoleGrant))
        assert grant is not None and grant.role == Role.REPRESENTATIVE
        assert grant.unit is not None and grant.unit.slug == "alsviku"

    revoked = run_padome(
        ["roles", "revoke", "console:maris", "representative"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert "Revoked 1 grant(s)." in revoked.stdout
    async with open_app(make_settings(database_url)) as app, app.sessionmaker() as session:
        assert await session.scalar(select(RoleGrant)) is None


def test_broadcast_commands_schedule_list_show_and_cancel(
    database_url: str, tmp_path: Path
) -> None:
    text = tmp_path / "msg.txt"
    text.write_text("Sapulce piektdien 18:00 tautas namā.", encoding="utf-8")

    def padome(*args: str):
        return run_padome(list(args), stdin="", database_url=database_url, cwd=tmp_path)

    past = padome("broadcast", "send", "--text-file", str(text), "--at", "01.01.2020 10:00")
    assert past.returncode == 1
    assert "that time has passed" in past.stderr
    wrong = padome("broadcast", "send", "--text-file", str(text), "--audience", "unit:nowhere")
    assert wrong.returncode == 1
    assert "No unit 'nowhere'" in wrong.stderr
    sent = padome(
        "broadcast",
        "send",
        "--text-file",
        str(text),
        "--audience",
        "unit:alsviku,annas",
        "--at",
        A_YEAR_AHEAD,
    )
    assert sent.returncode == 0, sent.stderr
    assert f"Broadcast #1 scheduled for {A_YEAR_AHEAD}" in sent.stdout
    listed = padome("broadcast", "list")
    assert "schedul" in listed.stdout and "Sapulce" in listed.stdout  # a narrow table wraps
    shown = padome("broadcast", "show", "1")
    assert "units Alsviķu pagasts, Annas pagasts" in shown.stdout
    cancelled = padome("broadcast", "cancel", "1")
    assert cancelled.returncode == 0, cancelled.stderr
    assert "cancelled" in padome("broadcast", "show", "1").stdout
    again = padome("broadcast", "cancel", "1")
    assert again.returncode == 1
    assert "nothing to cancel" in again.stderr


def test_a_number_too_big_for_any_id_is_refused_plainly(database_url: str, tmp_path: Path) -> None:
    huge = "1234567890123456789012345"
    for args in (
        ["broadcast", "show", huge],
        ["broadcast", "cancel", huge],
        ["nominations", "round", "end", huge],
        ["surveys", "close", huge],
    ):
        refused = run_padome(args, stdin="", database_url=database_url, cwd=tmp_path)
        assert refused.returncode == 2, args
        assert "Invalid value" in refused.stderr and "Traceback" not in refused.stderr, args
