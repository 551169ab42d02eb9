"""The console channel through its real entry point: `padome chat` on stdin and stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PADOME = str(Path(sys.executable).parent / "padome")


def run_padome(
    args: list[str], *, stdin: str, database_url: str, cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_", "ADMINS"))
    }
    environment.update({"DATABASE_URL": database_url, **env})
    return subprocess.run(
        [PADOME, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment,
        timeout=60,
        check=False,
    )


def test_console_onboarding_and_my_data(database_url: str, tmp_path: Path) -> None:
    # language 1 (Latviešu), agree, unit typed without diacritics, then /mydata
    result = run_padome(
        ["chat", "--user", "anna"],
        stdin="1\n1\nalsviku\n/mydata\n",
        database_url=database_url,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1) Latviešu" in out and "3) English" in out
    assert "Alūksnes pilsēta" in out and "16) Ziemera pagasts" in out
    assert "Alsviķu pagasts" in out
    exported = tmp_path / "padome-files" / "padome-my-data.json"
    data = json.loads(exported.read_text(encoding="utf-8"))
    assert data["resident"]["unit"] == "Alsviķu pagasts"
    assert data["accounts"] == [
        {"channel": "console", "id": "anna", "since": data["accounts"][0]["since"]}
    ]


def test_console_state_survives_a_restart(database_url: str, tmp_path: Path) -> None:
    first = run_padome(
        ["chat", "--user", "juris"], stdin="3\n1\n", database_url=database_url, cwd=tmp_path
    )
    assert "Which parish or town do you live in?" in first.stdout
    # A new process: the conversation goes on where it stopped, in English.
    second = run_padome(
        ["chat", "--user", "juris"], stdin="zeltinu\n", database_url=database_url, cwd=tmp_path
    )
    assert second.returncode == 0, second.stderr
    assert "Which parish or town do you live in?" in second.stdout
    assert "Saved: Zeltiņu pagasts." in second.stdout


def test_invalid_settings_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    result = run_padome(["chat"], stdin="", database_url="mysql://nobody@localhost/x", cwd=tmp_path)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "sqlite+aiosqlite" in result.stderr
    assert "Traceback" not in result.stderr
