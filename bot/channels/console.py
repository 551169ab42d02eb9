"""The console channel: chat with the bot in a terminal, buttons shown as numbered options."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TextIO

from bot.channels import Messenger, Senders, text_with_options
from bot.dialog.engine import DialogEngine
from bot.dialog.messages import Address, Incoming, Reply
from bot.i18n import N_
from bot.parsing import clean_text

CHANNEL = "console"
MESSENGERS = (
    Messenger(
        name=CHANNEL,
        label=N_("Terminal"),
        prefix="console",
        buttons=False,
        contact_sharing=False,
        files=True,  # saved into a folder, its path printed
        groups=False,
        phone_accounts=False,
    ),
)
QUIT_WORDS = {"/quit", "/exit"}


class ConsoleChannel:
    def __init__(
        self,
        *,
        engine: DialogEngine,
        senders: Senders,
        user: str,
        stdin: TextIO,
        stdout: TextIO,
        files_dir: Path,
    ) -> None:
        self.engine = engine
        self.senders = senders
        self.user = user
        self.stdin = stdin
        self.stdout = stdout
        self.files_dir = files_dir
        self._sent = 0
        senders.register(CHANNEL, self.send, self.edit)

    async def send(self, address: Address, reply: Reply) -> str | None:
        text = text_with_options(reply)
        lines = [text if address.chat_id == self.user else f"[→ {address.chat_id}] {text}"]
        if reply.attachment is not None and reply.attachment.content:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path = self.files_dir / reply.attachment.filename
            path.write_bytes(reply.attachment.content)
            lines.append(f"  [{path}]")
        elif reply.attachment is not None:
            lines.append(f"  [{reply.attachment.filename}]")
        self.stdout.write("\n".join(lines) + "\n\n")
        self.stdout.flush()
        self._sent += 1
        return str(self._sent)

    async def edit(self, address: Address, message_id: str, text: str) -> None:
        """A terminal cannot change what it printed: the new text is printed again."""
        await self.send(address, Reply(text))

    async def say(self, text: str) -> None:
        incoming = Incoming(
            channel=CHANNEL, user_id=self.user, chat_id=self.user, text=clean_text(text)
        )
        await self.senders.deliver(await self.engine.handle(incoming))

    async def run(self) -> None:
        """Start the conversation, then read one line a message until end of input."""
        await self.say("/start")
        while True:
            self.stdout.write("> ")
            self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                self.stdout.write("\n")
                return
            text = line.strip()
            if text in QUIT_WORDS:
                return
            if text:
                await self.say(text)
