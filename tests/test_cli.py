"""Staff commands of `padome`, run as a staff member would: what they print and store."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from broadcasts.service import JobContext
from handlers.nominations import run_rounds
from models import NominationRound, Role, RoleGrant
from models.base import utcnow
from models.nominations import nominate
from models.residents import find_identity
from padome.app import open_app
from tests.chat import Chat
from tests.conftest import make_settings
from tests.test_console import run_padome

RIGA = ZoneInfo("Europe/Riga")
A_YEAR_AHEAD = (utcnow() + timedelta(days=365)).strftime("%d.%m.%Y 18:00")


def _wide_padome(database_url: str, tmp_path: Path) -> Any:
    """`padome` with these arguments, on a terminal wide enough for its tables."""

    def padome(*args: str) -> Any:
        return run_padome(
            list(args), stdin="", database_url=database_url, cwd=tmp_path, COLUMNS="200"
        )

    return padome


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
    for nameless in ("²", "12", "🙂"):
        refused = run_padome(
            ["localities", "add", "alsviku", nameless],
            stdin="",
            database_url=database_url,
            cwd=tmp_path,
        )
        assert refused.returncode == 1
        assert "a locality name has letters" in refused.stderr
    chat = run_padome(
        ["chat", "--user", "ilze"], stdin="3\n1\n2\n1\n", database_url=database_url, cwd=tmp_path
    )
    assert "Which village or neighbourhood? You may skip this." in chat.stdout
    assert "Saved: Alsviķi parish, Alsviķi." in chat.stdout


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
    assert "Revoked 1 grant." in revoked.stdout
    async with open_app(make_settings(database_url)) as app, app.sessionmaker() as session:
        assert await session.scalar(select(RoleGrant)) is None
    again = run_padome(
        ["roles", "revoke", "console:maris", "representative", "--territory", "annas"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr == (
        "console:maris has no representative role in annas: nothing was revoked. "
        "See `padome roles list`.\n"
    )


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
    assert "No parish or town 'nowhere'" in wrong.stderr
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
    # One that falls in the quiet hours says when it really goes.
    night = A_YEAR_AHEAD.replace("18:00", "23:30")
    morning = (utcnow() + timedelta(days=366)).strftime("%d.%m.%Y 08:00")
    held = padome("broadcast", "send", "--text-file", str(text), "--at", night)
    assert held.returncode == 0, held.stderr
    assert f"scheduled for {night}" in held.stdout
    assert f"quiet hours, so the running bot sends it at {morning}." in held.stdout
    padome("broadcast", "cancel", "2")
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
    unfinished = padome("broadcast", "report", "1")
    assert unfinished.returncode == 1
    assert "its report comes when it has finished" in unfinished.stderr


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


def test_counts_are_told_in_their_plural_form(database_url: str, tmp_path: Path) -> None:
    def padome(*args: str):
        done = run_padome(list(args), stdin="", database_url=database_url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout

    padome_chat = run_padome(
        ["chat", "--user", "ilze"], stdin="3\n1\n2\n", database_url=database_url, cwd=tmp_path
    )
    assert "Saved: Alsviķi parish." in padome_chat.stdout
    text = tmp_path / "msg.txt"
    text.write_text("Sapulce piektdien.", encoding="utf-8")
    sent = padome("broadcast", "send", "--text-file", str(text), "--at", A_YEAR_AHEAD)
    assert f"scheduled for {A_YEAR_AHEAD} to 1 resident now registered;" in sent
    assert (
        padome("broadcast", "cancel", "1")
        == "Broadcast #1 cancelled; 0 pending deliveries stopped.\n"
    )

    survey = tmp_path / "survey.yaml"
    survey.write_text(
        f"title: Ceļi\ncloses: {A_YEAR_AHEAD}\nquestions:\n  - type: yesno\n    text: Vai?\n",
        encoding="utf-8",
    )
    assert (
        padome("surveys", "create", "--check", str(survey)) == "survey.yaml is fine: 1 question.\n"
    )
    assert 'Survey #1 "Ceļi" scheduled: 1 question, opens' in padome(
        "surveys", "create", str(survey)
    )


def test_a_survey_closed_from_the_command_line_is_listed_closed(
    database_url: str, tmp_path: Path
) -> None:
    def padome(*args: str) -> str:
        done = run_padome(
            list(args), stdin="", database_url=database_url, cwd=tmp_path, COLUMNS="200"
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    survey = tmp_path / "survey.yaml"
    survey.write_text(
        f"title: Ceļi\ncloses: {A_YEAR_AHEAD}\nquestions:\n  - type: yesno\n    text: Vai?\n",
        encoding="utf-8",
    )
    padome("surveys", "create", str(survey))
    assert padome("surveys", "close", "1") == "Survey #1 closes now.\n"
    [row] = [line for line in padome("surveys", "list").splitlines() if "Ceļi" in line]
    assert "closed" in row and "open" not in row and "scheduled" not in row


def test_places_are_found_without_diacritics_as_in_the_chat(
    database_url: str, tmp_path: Path
) -> None:
    padome = _wide_padome(database_url, tmp_path)

    assert padome("localities", "add", "alsviku", "Strautiņi").returncode == 0
    run_padome(
        ["chat", "--user", "maris"], stdin="3\n1\n2\n", database_url=database_url, cwd=tmp_path
    )
    granted = padome(
        "roles", "grant", "console:maris", "deputy", "--territory", "alsviku/strautini"
    )
    assert granted.returncode == 0 and granted.stdout == "Granted.\n", granted.stderr
    listed = padome("roles", "list").stdout
    assert "deputy" in listed and "Strautiņi" in listed
    # The unit by its name too, in any case, with or without its letters' marks.
    assert "Strautiņi" in padome("localities", "list", "ALSVIKU PAGASTS").stdout
    revoked = padome(
        "roles", "revoke", "console:maris", "deputy", "--territory", "Alsviķu/STRAUTIŅI"
    )
    assert revoked.stdout == "Revoked 1 grant.\n", revoked.stderr
    text = tmp_path / "msg.txt"
    text.write_text("Sapulce piektdien.", encoding="utf-8")
    sent = padome(
        "broadcast", "send", "--text-file", str(text), "--audience", "locality:alsviku/strautini",
        "--at", A_YEAR_AHEAD,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert "locality Alsviķu pagasts, Strautiņi" in padome("broadcast", "show", "1").stdout


async def test_nominations_export_of_one_nomination_holds_only_it(
    database_url: str, tmp_path: Path
) -> None:
    def padome(*args: str) -> subprocess.CompletedProcess[str]:
        return run_padome(list(args), stdin="", database_url=database_url, cwd=tmp_path)

    end = (utcnow() + timedelta(days=10)).astimezone(RIGA).strftime("%d.%m.%Y %H:%M")
    opened = padome(
        "nominations", "round", "open", "--units", "alsviku", "--from", "now", "--to", end
    )
    assert opened.returncode == 0, opened.stderr
    settings = make_settings(database_url)
    async with open_app(settings) as app:
        chat = Chat(app)
        await chat.onboard("anna")
        await chat.onboard("berta")
        await run_rounds(JobContext(app.sessionmaker, settings, utcnow()))
        async with app.sessionmaker() as session, session.begin():
            item = await session.get(NominationRound, 1)
            assert item is not None
            for user, name in (("anna", "Anna Bērziņa"), ("berta", "Berta Kalniņa")):
                found = await find_identity(session, "console", user)
                assert found is not None and found.resident.unit_id is not None
                await nominate(
                    session, round_=item, unit_id=found.resident.unit_id,
                    nominated_by=found.resident, candidate=found.resident, name=name,
                    phone=None, reason=None, now=utcnow(),
                )  # fmt: skip

    every = padome("nominations", "export", "--unit", "alsviku", "--format", "csv")
    assert every.stdout == "Wrote nominations-alsviku.csv (2 nominations).\n", every.stderr
    one = padome(
        "nominations", "export", "--unit", "Alsviķu", "--format", "csv", "--nomination", "2"
    )
    assert one.stdout == "Wrote nomination-2.csv (1 nomination).\n", one.stderr
    written = (tmp_path / "nomination-2.csv").read_text("utf-8-sig")
    rows = list(csv.reader(io.StringIO(written, newline=""), delimiter=";"))  # Latvian
    assert [row[2] for row in rows[1:]] == ["Berta Kalniņa"]
    other = padome(
        "nominations", "export", "--unit", "annas", "--format", "xlsx", "--nomination", "2"
    )
    assert other.returncode == 1 and "Annas pagasts has no nomination #2." in other.stderr


def test_localities_are_listed_for_a_unit_named_with_unit(
    database_url: str, tmp_path: Path
) -> None:
    padome = _wide_padome(database_url, tmp_path)

    assert padome("localities", "add", "alsviku", "Strautiņi").returncode == 0
    assert padome("localities", "add", "annas", "Kalnieši").returncode == 0
    listed = padome("localities", "list", "--unit", "alsviku")
    assert listed.returncode == 0, listed.stderr
    assert "Strautiņi" in listed.stdout and "Kalnieši" not in listed.stdout
    unknown = padome("localities", "list", "--unit", "nekurienes")
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert unknown.stderr == "No parish or town 'nekurienes'. See `padome units list`.\n"


def test_a_file_that_cannot_be_read_is_named_with_the_reason_in_words(
    database_url: str, tmp_path: Path
) -> None:
    missing = tmp_path / "nav.txt"
    sent = run_padome(
        ["broadcast", "send", "--text-file", str(missing), "--audience", "all"],
        stdin="",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert sent.returncode == 1
    assert sent.stderr == f"Cannot read {missing}: no such file or directory.\n"
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Sapulce piektdien kultūras namā".encode("utf-16"))
    survey = run_padome(
        ["surveys", "create", str(latin)], stdin="", database_url=database_url, cwd=tmp_path
    )
    assert survey.returncode == 1
    assert survey.stderr.endswith(f"Cannot read {latin}: it is not text in UTF-8.\n")
