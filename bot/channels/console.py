"""The console channel: chat with the bot in a terminal, buttons shown as numbered options.

Each terminal is one person's (`padome chat --user X`). Messages for anyone else, sent by
this process or another, wait in the database until that person's terminal takes them, at
once when it is open and when it opens otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path
from typing import TextIO

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels import Messenger, Senders, text_with_options
from bot.dialog.engine import DialogEngine
from bot.dialog.messages import Address, Incoming, Reply
from bot.errors import failure_summary
from bot.i18n import N_
from bot.parsing import clean_text
from models.base import utcnow
from models.console import leave_message, take_messages
from models.conversations import show_options

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
PROMPT = "> "
# How often an open terminal looks for messages left for its person by other processes.
POLL_SECONDS = 0.5

logger = logging.getLogger(__name__)


class ConsoleMailbox:
    """Leaves messages for console users; each one's own terminal shows them."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    def register(self, senders: Senders) -> None:
        """Send console messages from a process without a terminal (`padome run`)."""
        senders.register(CHANNEL, self.send, self.edit)

    async def send(self, address: Address, reply: Reply) -> str | None:
        attachment = reply.attachment
        async with self.sessionmaker() as session, session.begin():
            message = await leave_message(
                session,
                user=address.chat_id,
                text=text_with_options(reply),
                filename=attachment.filename if attachment is not None else None,
                content=attachment.content if attachment is not None else None,
                options=[[button.label, button.payload] for button in reply.options],
            )
        return f"left-{message.id}"

    async def edit(self, address: Address, message_id: str, text: str) -> None:
        """A terminal cannot change what it printed: the new text comes as a new message."""
        await self.send(address, Reply(text))


class ConsoleChannel:
    def __init__(
        self,
        *,
        engine: DialogEngine,
        senders: Senders,
        sessionmaker: async_sessionmaker[AsyncSession],
        user: str,
        stdin: TextIO,
        stdout: TextIO,
        files_dir: Path,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.engine = engine
        self.senders = senders
        self.mailbox = ConsoleMailbox(sessionmaker)
        self.user = user
        self.stdin = stdin
        self.stdout = stdout
        self.files_dir = files_dir
        self.poll_seconds = poll_seconds
        self._sent = 0
        self._open = False
        self._at_prompt = False
        senders.register(CHANNEL, self.send, self.edit)

    async def send(self, address: Address, reply: Reply) -> str | None:
        """Print a message for this terminal's person while the chat is on; leave anyone
        else's for theirs, and this person's once the chat has ended."""
        if address.chat_id != self.user or not self._open:
            return await self.mailbox.send(address, reply)
        attachment = reply.attachment
        self._print(
            text_with_options(reply),
            attachment.filename if attachment is not None else None,
            attachment.content if attachment is not None else None,
        )
        self._sent += 1
        return str(self._sent)

    async def edit(self, address: Address, message_id: str, text: str) -> None:
        """A terminal cannot change what it printed: the new text is printed again."""
        await self.send(address, Reply(text))

    def _print(self, text: str, filename: str | None, content: bytes | None) -> None:
        lines = [text]
        if filename is not None and content:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path = self.files_dir / Path(filename).name
            path.write_bytes(content)
            lines.append(f"  [{path}]")
        elif filename is not None:
            lines.append(f"  [{filename}]")
        # A message arriving while the person is at the prompt goes on a line of its own,
        # and the prompt comes back under it.
        before = "\n" if self._at_prompt else ""
        after = PROMPT if self._at_prompt else ""
        self.stdout.write(before + "\n".join(lines) + "\n\n" + after)
        self.stdout.flush()

    async def show_waiting(self) -> None:
        """Print the messages left for this terminal's person, oldest first. The options of
        the last one printed with options become the ones a typed number presses, as for
        any message printed last."""
        async with self.mailbox.sessionmaker() as session, session.begin():
            taken = await take_messages(session, self.user)
            waiting = [(item.text, item.filename, item.content) for item in taken]
            offered = [item.options for item in taken if item.options]
            if offered:
                await show_options(
                    session,
                    channel=CHANNEL,
                    external_ids=[self.user],
                    options=offered[-1],
                    shown_at=utcnow(),
                )
        for text, filename, content in waiting:
            self._print(text, filename, content)

    async def _keep_showing_waiting(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.show_waiting()
            except Exception as error:
                logger.warning(
                    "reading waiting console messages failed: %s", failure_summary(error)
                )

    async def say(self, text: str) -> None:
        incoming = Incoming(
            channel=CHANNEL, user_id=self.user, chat_id=self.user, text=clean_text(text)
        )
        await self.senders.deliver(await self.engine.handle(incoming))

    async def run(self) -> None:
        """Start the conversation, show what waited, then read one line a message until end
        of input, showing messages for this person as they come."""
        self._open = True
        await self.say("/start")
        await self.show_waiting()
        lines = self._read_lines()
        showing = asyncio.create_task(self._keep_showing_waiting())
        try:
            while True:
                self.stdout.write(PROMPT)
                self.stdout.flush()
                self._at_prompt = True
                line = await lines.get()
                self._at_prompt = False
                if not line:
                    self.stdout.write("\n")
                    return
                text = line.strip()
                if text in QUIT_WORDS:
                    return
                if text:
                    await self.say(text)
        finally:
            self._open = False
            showing.cancel()
            try:
                await showing
            except asyncio.CancelledError:
                pass

    def _read_lines(self) -> asyncio.Queue[str]:
        """Lines typed, read by a thread of their own: one that never holds up the exit
        of the process while it waits for the person to type (as a pool's thread would)."""
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str] = asyncio.Queue()

        def read() -> None:
            while True:
                line = self.stdin.readline()
                try:
                    loop.call_soon_threadsafe(lines.put_nowait, line)
                except RuntimeError:  # the chat has ended
                    return
                if not line:
                    return

        threading.Thread(target=read, name="console-input", daemon=True).start()
        return lines
