"""`padome chat` and `padome run`: the bot in a terminal, and the bot on its channels."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from models.territory_file import TerritoryFileError
from padome import app as lifecycle
from padome.cli.common import fail, load_settings, setup_logging, territory_problems

CHAT_LOG = "padome-chat.log"

logger = logging.getLogger(__name__)


def chat(
    user: Annotated[str, typer.Option(help="Your name in this console chat.")] = "resident",
) -> None:
    """Chat with the bot in this terminal (no tokens needed)."""
    if not user.strip() or len(user) > 64 or any(ch.isspace() for ch in user):
        raise fail("--user takes a name of 1 to 64 characters without spaces.")
    settings = load_settings()
    # Whatever the scheduler or a library logs goes to the file: the terminal is the chat's.
    log_file = Path.cwd() / CHAT_LOG
    setup_logging(settings, log_file=log_file)
    try:
        asyncio.run(lifecycle.chat(settings, user=user, stdin=sys.stdin, stdout=sys.stdout))
    except KeyboardInterrupt:
        sys.stdout.write("\n")
    except TerritoryFileError as error:
        raise fail(territory_problems(error)) from None
    except Exception:
        logger.exception("the console chat stopped on an error")
        raise fail(f"The chat stopped on an error; what happened is in {log_file}.") from None


def run() -> None:
    """Run the bot: the scheduler, the messengers configured (none needed) and messages left
    for console users."""
    settings = load_settings()
    setup_logging(settings)
    try:
        asyncio.run(lifecycle.run(settings))
    except TerritoryFileError as error:
        raise fail(territory_problems(error)) from None
