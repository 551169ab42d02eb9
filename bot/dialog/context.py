"""What a handler gets: the message, the person, their roles and language, and a reply box."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.messages import Address, Attachment, Button, ChatKind, Incoming, Outbox, Reply
from bot.i18n import Translator
from bot.settings import Settings
from models.audit import audit
from models.base import utcnow
from models.conversations import ConversationState
from models.residents import Resident
from models.roles import Roles

Buttons = Sequence[Sequence[Button]] | Sequence[Button]


def button_rows(buttons: Buttons | None) -> tuple[tuple[Button, ...], ...]:
    """Accept a flat list (one button a row: big and easy to hit) or explicit rows."""
    if not buttons:
        return ()
    rows: list[tuple[Button, ...]] = []
    for item in buttons:
        rows.append((item,) if isinstance(item, Button) else tuple(item))
    return tuple(rows)


@dataclass
class Context:
    incoming: Incoming
    session: AsyncSession
    settings: Settings
    t: Translator
    conversation: ConversationState | None
    resident: Resident | None
    roles: Roles
    args: list[str] = field(default_factory=list)
    # The button payload this message carries, pressed or typed as an option's number.
    payload: str | None = None
    outbox: Outbox = field(default_factory=Outbox)
    now: datetime = field(default_factory=utcnow)
    # Set when the conversation row was deleted (a declined notice, an erasure).
    forgotten: bool = False

    @property
    def here(self) -> Address:
        return Address(self.incoming.channel, self.incoming.chat_id)

    @property
    def state(self) -> str | None:
        return self.conversation.state if self.conversation else None

    @property
    def flow(self) -> dict[str, Any]:
        """Values the current flow keeps between messages."""
        if self.conversation is None:
            return {}
        return dict(self.conversation.data.get("flow", {}))

    def set_state(self, state: str | None, **flow: Any) -> None:
        if self.conversation is None:
            return
        data = dict(self.conversation.data)
        data["flow"] = flow
        self.conversation.data = data
        self.conversation.state = state

    def clear_state(self) -> None:
        self.set_state(None)

    def remember(self, key: str, value: Any) -> None:
        """Keep a value on the conversation outside any flow (the language before consent)."""
        if self.conversation is None:
            return
        self.conversation.data = {**self.conversation.data, key: value}

    def recall(self, key: str, default: Any = None) -> Any:
        if self.conversation is None:
            return default
        return self.conversation.data.get(key, default)

    def use_language(self, language: str) -> None:
        self.t = Translator(language, timezone=self.t.timezone)

    def reply(
        self, text: str, buttons: Buttons | None = None, attachment: Attachment | None = None
    ) -> None:
        self.outbox.add(self.here, Reply(text, button_rows(buttons), attachment))

    def send(self, address: Address, reply: Reply) -> None:
        self.outbox.add(address, reply)

    def too_long(self, text: str, limit: int) -> bool:
        """Whether typed text is over `limit` characters; if so, the person is told so."""
        if len(text) <= limit:
            return False
        self.reply(
            self.t._(
                "That is too long: at most {limit} characters, please. Yours has {length}.",
                limit=self.t.number(limit),
                length=self.t.number(len(text)),
            )
        )
        return True

    async def audit(self, action: str, **details: Any) -> None:
        await audit(
            self.session,
            action=action,
            actor_id=self.resident.id if self.resident else None,
            **details,
        )

    async def refuse(self, action: str, **details: Any) -> None:
        """Refuse a privileged action the person may not take, and write it down."""
        await self.audit("refused", attempted=action, **details)
        # Often an old button on an earlier message: the menu is the way on (in a private
        # chat; a group has no menu).
        private = self.incoming.chat_kind is ChatKind.PRIVATE
        self.reply(
            self.t._("Sorry, you are not allowed to do that."),
            [Button(self.t._("Main menu"), "menu")] if private else None,
        )
