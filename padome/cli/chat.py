"""`padome chat` and `padome run`: the bot in a terminal, and the bot on its channels."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from padome import app as lifecycle
from padome.cli.common import fail, load_settings, setup_logging


def chat(
    user: Annotated[str, typer.Option(help="Your name in this console chat.")] = "resident",
) -> None:
    """Chat with the bot in this terminal (no tokens needed)."""
    if not user.strip() or len(user) > 64 or any(ch.isspace() for ch in user):
        raise fail("--user takes a name of 1 to 64 characters without spaces.")
    settings = load_settings()
    setup_logging(settings, quiet=True)
    asyncio.run(lifecycle.chat(settings, user=user, stdin=sys.stdin, stdout=sys.stdout))


def run() -> None:
    """Run the bot on the configured channels."""
    settings = load_settings()
    setup_logging(settings)
    asyncio.run(lifecycle.run(settings))
