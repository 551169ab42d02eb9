"""The console channel through its real entry point: `padome chat` on stdin and stdout."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bot.channels.console import ConsoleMailbox
from bot.dialog.context import button_rows
from bot.dialog.messages import Address, Button, Reply
from padome.app import open_app
from tests.conftest import make_settings

PADOME = str(Path(sys.executable).parent / "padome")


def _environment(database_url: str, **env: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "DATABASE_", "ADMINS", "TWILIO_"))
    }
    environment.update({"DATABASE_URL": database_url, **env})
    return environment


def run_padome(
    args: list[str], *, stdin: str, database_url: str, cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PADOME, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_environment(database_url, **env),
        timeout=60,
        check=False,
    )


class Terminal:
    """A `padome chat` left open, as a person keeps a terminal: typed into through a pipe,
    its screen read as it is printed."""

    def __init__(self, user: str, *, database_url: str, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [PADOME, "chat", "--user", user],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=_environment(database_url),
        )
        self._printed = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        while chunk := os.read(self.process.stdout.fileno(), 65536):
            self._printed += chunk

    @property
    def screen(self) -> str:
        return bytes(self._printed).decode("utf-8", errors="replace")

    def wait_for(self, text: str, *, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.screen:
            assert self.process.poll() is None, f"the chat ended:\n{self.screen}"
            assert time.monotonic() < deadline, f"{text!r} never shown:\n{self.screen}"
            time.sleep(0.1)

    def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def close(self) -> str:
        """End the chat with Ctrl-D; what it printed on standard error."""
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.close()
        errors = self.process.stderr.read().decode()
        self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        return errors

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


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
    assert "Saved: Zeltiņi parish." in second.stdout


def test_invalid_settings_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    result = run_padome(["chat"], stdin="", database_url="mysql://nobody@localhost/x", cwd=tmp_path)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "sqlite+aiosqlite" in result.stderr
    assert "Traceback" not in result.stderr


def _registered(users: list[str], *, database_url: str, cwd: Path) -> None:
    for user in users:
        # English, agree to the privacy notice, Alsviķu pagasts
        done = run_padome(
            ["chat", "--user", user], stdin="3\n1\n2\n", database_url=database_url, cwd=cwd
        )
        assert "Saved: Alsviķi parish." in done.stdout, done.stdout + done.stderr


def _broadcast(text: str, *, database_url: str, cwd: Path) -> None:
    path = cwd / "message.txt"
    path.write_text(text, encoding="utf-8")
    sent = run_padome(
        ["broadcast", "send", "--text-file", str(path), "--urgent"],
        stdin="",
        database_url=database_url,
        cwd=cwd,
    )
    assert sent.returncode == 0, sent.stderr


def _wait_delivered(broadcast_id: int, recipients: int, *, database_url: str, cwd: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        shown = run_padome(
            ["broadcast", "show", str(broadcast_id)], stdin="", database_url=database_url, cwd=cwd
        )
        if f"delivered: {recipients}" in shown.stdout:
            return
        assert time.monotonic() < deadline, shown.stdout
        time.sleep(0.5)


def test_each_terminal_shows_its_own_persons_messages_and_a_closed_one_gets_them_later(
    database_url: str, tmp_path: Path
) -> None:
    _registered(["anna", "john"], database_url=database_url, cwd=tmp_path)
    anna = Terminal("anna", database_url=database_url, cwd=tmp_path)
    john = Terminal("john", database_url=database_url, cwd=tmp_path)
    try:
        anna.wait_for("Main menu")
        john.wait_for("Main menu")
        # Both chats run the scheduler: either may send both residents' copies.
        _broadcast("Water is off on Thursday.", database_url=database_url, cwd=tmp_path)
        anna.wait_for("Water is off on Thursday.")
        john.wait_for("Water is off on Thursday.")
        _wait_delivered(1, 2, database_url=database_url, cwd=tmp_path)
        assert john.close() == ""

        # John's terminal is closed: Anna's chat sends his copy too, and it waits for him.
        _broadcast("The meeting moves to Friday.", database_url=database_url, cwd=tmp_path)
        anna.wait_for("The meeting moves to Friday.")
        _wait_delivered(2, 2, database_url=database_url, cwd=tmp_path)
        anna.type("/quit")
        assert anna.close() == ""
    finally:
        anna.kill()
        john.kill()
    for screen in (anna.screen, john.screen):
        assert screen.count("Water is off on Thursday.") == 1, screen
        assert "[→" not in screen and "john]" not in screen and "anna]" not in screen
    assert "The meeting moves to Friday." not in john.screen
    assert anna.screen.count("The meeting moves to Friday.") == 1

    reopened = run_padome(
        ["chat", "--user", "john"], stdin="", database_url=database_url, cwd=tmp_path
    )
    assert reopened.returncode == 0 and reopened.stderr == ""
    assert reopened.stdout.count("The meeting moves to Friday.") == 1
    assert "Water is off on Thursday." not in reopened.stdout
    again = run_padome(
        ["chat", "--user", "john"], stdin="", database_url=database_url, cwd=tmp_path
    )
    assert "The meeting moves to Friday." not in again.stdout


def test_the_chat_keeps_log_lines_and_tracebacks_off_the_screen(
    database_url: str, tmp_path: Path
) -> None:
    _registered(["anna"], database_url=database_url, cwd=tmp_path)
    anna = Terminal("anna", database_url=database_url, cwd=tmp_path)
    try:
        anna.wait_for("Main menu")
        _broadcast("Water is off on Thursday.", database_url=database_url, cwd=tmp_path)
        anna.wait_for("Water is off on Thursday.")
        anna.wait_for("> ")
        anna.process.send_signal(signal.SIGINT)  # Ctrl-C
        assert anna.process.stderr is not None
        errors = anna.process.stderr.read().decode()
        assert anna.process.wait(timeout=60) == 0
    finally:
        anna.kill()
    assert errors == ""
    assert "Traceback" not in anna.screen and "INFO" not in anna.screen
    # The scheduler's lines went to the log file instead.
    log = (tmp_path / "padome-chat.log").read_text(encoding="utf-8")
    assert "broadcasts.dispatcher: broadcast 1 started" in log


def test_run_starts_without_tokens_and_leaves_console_messages(
    database_url: str, tmp_path: Path
) -> None:
    _registered(["anna"], database_url=database_url, cwd=tmp_path)
    _broadcast("Water is off on Thursday.", database_url=database_url, cwd=tmp_path)
    bot = subprocess.Popen(
        [PADOME, "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=_environment(database_url),
    )
    try:
        _wait_delivered(1, 1, database_url=database_url, cwd=tmp_path)
        bot.send_signal(signal.SIGTERM)
        _, errors = bot.communicate(timeout=60)
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
    assert bot.returncode == 0, errors
    assert b"without a messenger" in errors and b"Traceback" not in errors
    opened = run_padome(
        ["chat", "--user", "anna"], stdin="", database_url=database_url, cwd=tmp_path
    )
    assert opened.stdout.count("Water is off on Thursday.") == 1


def test_a_number_typed_after_reopening_presses_the_option_of_the_message_that_waited(
    database_url: str, tmp_path: Path
) -> None:
    """The menu comes first, then what waited: 1 is the waiting message's first option."""
    _registered(["john"], database_url=database_url, cwd=tmp_path)

    async def leave() -> None:
        async with open_app(make_settings(database_url)) as app:
            await ConsoleMailbox(app.sessionmaker).send(
                Address("console", "john"),
                Reply(
                    "What is kept about me?",
                    button_rows([Button("My data", "mydata"), Button("Main menu", "menu")]),
                ),
            )

    asyncio.run(leave())
    opened = run_padome(
        ["chat", "--user", "john"], stdin="1\n", database_url=database_url, cwd=tmp_path
    )
    assert opened.returncode == 0, opened.stderr
    menu, waited = opened.stdout.split("What is kept about me?")
    assert "1) News" in menu
    assert waited.startswith("\n1) My data\n2) Main menu")
    assert "No news yet" not in waited
    exported = json.loads((tmp_path / "padome-files" / "padome-my-data.json").read_text("utf-8"))
    assert exported["accounts"][0]["id"] == "john"
