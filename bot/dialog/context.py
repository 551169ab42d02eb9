"""What a handler gets: the message, the person, their roles and language, and a reply box."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialog.messages import (
    Address,
    Attachment,
    Button,
    ChatKind,
    GroupAction,
    Incoming,
    Outbox,
    Reply,
)
from bot.dialog.payloads import Payload
from bot.i18n import DATETIME_FORMAT, Translator
from bot.parsing import (
    AmbiguousTime,
    NonexistentTime,
    NoSuchDate,
    TimeError,
    TooFar,
    check_horizon,
    parse_local_time,
)
from bot.settings import Settings
from models.audit import audit
from models.base import utcnow
from models.conversations import ConversationState
from models.residents import Resident
from models.roles import Roles

Buttons = Sequence[Sequence[Button]] | Sequence[Button]
# Where `Context.ask` keeps the question it asked, to ask again.
_ASKED = "asked"


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
    # The typed payload of the button pressed, for a route registered with `Router.button`.
    pressed: Payload | None = None

    @property
    def here(self) -> Address:
        return Address(self.incoming.channel, self.incoming.chat_id)

    @property
    def argument(self) -> str:
        """What follows a typed command or keyword ("/linkgroup alsviku" -> "alsviku")."""
        return " ".join(self.args) if self.pressed is None and self.payload is None else ""

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
        data.pop(_ASKED, None)
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

    def act(self, group: Address, action: GroupAction) -> None:
        """Do something in a group (let a person in, make its join link) after the commit."""
        self.outbox.act(group, action)

    def ask(
        self,
        state: str,
        question: str,
        *,
        limit: int | None = None,
        buttons: Buttons | None = None,
        back: Button | None = None,
        **flow: Any,
    ) -> None:
        """Ask for typed input: set `state` (with `flow`'s values) and ask `question`, with
        `buttons` and always a way back (`back`, by default Cancel to the menu). Typed text
        over `limit` characters never reaches the state's handler: the engine names the limit
        and asks again. A handler that cannot take an answer calls `ask_again`."""
        self.set_state(state, **flow)
        rows = list(button_rows(buttons))
        way_back = back or Button(self.t._("Cancel"), "menu")
        if not any(button.payload == way_back.payload for row in rows for button in row):
            rows.append((way_back,))
        self.reply(question, rows)
        if self.conversation is not None:
            shown = [[[button.label, button.payload] for button in row] for row in rows]
            self.remember(_ASKED, {"question": question, "buttons": shown, "limit": limit})

    @property
    def asked_limit(self) -> int | None:
        """The length limit of the question now asked with `ask`, if any."""
        asked = self.recall(_ASKED)
        return asked.get("limit") if isinstance(asked, dict) else None

    def ask_again(self, why: str) -> None:
        """Tell the person why their answer is not taken and ask the same question again,
        with the same buttons and way back, in one message."""
        asked = self.recall(_ASKED)
        if not isinstance(asked, dict):
            self.reply(why)
            return
        rows = [
            [Button(label, payload) for label, payload in row] for row in asked.get("buttons", [])
        ]
        self.reply(f"{why}\n\n{asked.get('question', '')}".strip(), rows)

    def _way_back(self) -> Button:
        """The way back of the question now asked with `ask`: its last button."""
        asked = self.recall(_ASKED)
        rows = asked.get("buttons") if isinstance(asked, dict) else None
        if rows and rows[-1]:
            label, payload = rows[-1][-1]
            return Button(label, payload)
        return Button(self.t._("Cancel"), "menu")

    def answer_too_long(self, limit: int) -> None:
        """Refuse typed text over the asked question's `limit`, naming it, and ask again."""
        text = self.incoming.text or ""
        self.ask_again(
            self.t._(
                "That is too long: at most {limit} characters, please. Yours has {length}.",
                limit=self.t.number(limit),
                length=self.t.number(len(text)),
            )
        )

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

    def read_time(
        self, text: str, *, example: str, choose: str, fold: int | None = None
    ) -> datetime | None:
        """A typed `dd.mm.yyyy hh:mm` in the municipality's time zone, at most two years
        ahead; or None, the person told why. A time that happens twice (the clocks go back)
        is asked about with two buttons, `{choose}:0` the earlier and `{choose}:1` the later;
        their answer comes back as `fold`. A question asked with `ask` is asked again after
        the reason, with its buttons."""
        t = self.t
        try:
            return check_horizon(parse_local_time(text, self.settings.tz, fold=fold), self.now)
        except AmbiguousTime as twice:
            buttons = [
                Button(twice_label(t, moment), f"{choose}:{index}")
                for index, moment in enumerate(twice.choices)
            ]
            buttons.append(self._way_back())
            self.reply(time_problem(t, twice, example=example), buttons)
        except TimeError as error:
            self.ask_again(time_problem(t, error, example=example))
        return None

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


def time_problem(t: Translator, error: TimeError, *, example: str) -> str:
    """Why a typed `dd.mm.yyyy hh:mm` cannot be used, in the person's language; the same
    words in chat and in the staff console."""
    if isinstance(error, NonexistentTime):
        return t._(
            "That night the clocks go forward an hour, so {time} does not exist. "
            "Please write another time.",
            time=error.wall.strftime(DATETIME_FORMAT),
        )
    if isinstance(error, AmbiguousTime):
        return t._(
            "That night the clocks go back an hour, so {time} happens twice. "
            "Which one do you mean?",
            time=error.wall.strftime(DATETIME_FORMAT),
        )
    if isinstance(error, TooFar):
        return t._(
            "That is too far ahead. Please choose a time before {limit}.",
            limit=t.datetime(error.limit),
        )
    if isinstance(error, NoSuchDate):
        return t._(
            "There is no such date or time: {written}. Please check the day, the month "
            "and the hour.",
            written=error.written,
        )
    return t._("Please write the date and time like {example}.", example=example)


def twice_label(t: Translator, moment: datetime) -> str:
    """One of the two moments a time names the night the clocks go back."""
    hour, zone = moment.strftime("%H:%M"), moment.tzname()
    if moment.dst():
        return t._("{time} (summer time, {zone})", time=hour, zone=zone)
    return t._("{time} (winter time, {zone})", time=hour, zone=zone)
