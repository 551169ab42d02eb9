"""The Telegram channel on python-telegram-bot: polling or webhook, rendering, error reports."""

from __future__ import annotations

import html
import logging
import os
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ChatJoinRequestHandler,
    ContextTypes,
    TypeHandler,
)
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.channels import (
    INCOMING_FILE_MAX,
    Blocked,
    Messenger,
    Pacing,
    PermanentFailure,
    RateLimited,
    Senders,
    TemporaryFailure,
    reply_with_retries,
)
from bot.channels.telegram_http import AiohttpRequest, NotSent
from bot.channels.telegram_updates import StaggeredUpdates
from bot.dialog.engine import DialogEngine
from bot.dialog.messages import (
    Address,
    Attachment,
    ChatKind,
    Event,
    GroupAction,
    GroupActionKind,
    Incoming,
    Reply,
)
from bot.errors import failure_summary, failure_trace
from bot.i18n import N_, Translator
from bot.parsing import clean_text
from bot.settings import SUPPORTED_LANGUAGES, Settings
from models.parish_groups import units_without_join_link

logger = logging.getLogger(__name__)
# `_send_text` asks for sendMessage by name to have its answer as JSON; the library would
# advise its own method, which builds objects from the answer that nothing here reads.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage'", category=PTBUserWarning)
T = TypeVar("T")

# python-telegram-bot's documented opt-in: RetryAfter.retry_after as a timedelta, the type
# its next major version will use, without a deprecation warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")

CHANNEL = "telegram"
MESSENGERS = (
    Messenger(
        name=CHANNEL,
        label=N_("Telegram"),
        prefix="tg",
        buttons=True,
        contact_sharing=True,
        files=True,
        groups=True,
        phone_accounts=False,
        locations=True,
        pacing=lambda settings: Pacing(
            per_second=settings.telegram_messages_per_second,
            private_chat_per_second=settings.telegram_private_chat_per_second,
            group_per_minute=settings.telegram_group_per_minute,
        ),
        runs=lambda settings: settings.telegram_bot_token is not None,
    ),
)
# Connections for everything but long polling; python-telegram-bot's own default with httpx.
HTTP_POOL_SIZE = 256
ERROR_REPORT_LIMIT = 3000

COMMANDS = [
    ("start", N_("start, or show the menu")),
    ("menu", N_("the main menu")),
    ("surveys", N_("surveys you can answer, and their results")),
    ("help", N_("what you can do here")),
    ("language", N_("change the language")),
    ("territory", N_("change your parish or town")),
    ("nominate", N_("nominate a candidate for your parish or town")),
    ("mydata", N_("see what is stored about you")),
    ("forget", N_("erase your data")),
    ("cancel", N_("leave what you are doing and go back to the menu")),
]


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Cut a long text into pieces Telegram accepts, at line breaks or spaces where possible."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ") if cut < len(rest) else ""
    pieces.append(rest)
    return [piece for piece in pieces if piece] or [""]


def to_incoming(update: Update) -> Incoming | None:
    """Turn a Telegram update into a neutral incoming message; None for what we ignore."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    join = update.chat_join_request
    if join is not None:
        # Answered in the private chat Telegram opens to the bot for a while.
        return Incoming(
            channel=CHANNEL,
            user_id=str(user.id),
            chat_id=str(join.user_chat_id),
            display_name=clean_text(user.first_name),
            platform_language=user.language_code,
            update_key=str(update.update_id),
            event=Event.JOIN_REQUEST,
            group_id=str(chat.id),
        )
    kind = ChatKind.PRIVATE if chat.type == ChatType.PRIVATE else ChatKind.GROUP
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "user_id": str(user.id),
        "chat_id": str(chat.id),
        "chat_kind": kind,
        "display_name": clean_text(user.full_name),
        "platform_language": user.language_code,
        "update_key": str(update.update_id),
    }
    if update.callback_query is not None:
        return Incoming(payload=update.callback_query.data, **common)
    message = update.message
    if message is None and update.edited_message is not None:
        return Incoming(text=clean_text(update.edited_message.text or ""), edited=True, **common)
    if message is None:
        return None
    if message.contact is not None:
        contact = message.contact
        return Incoming(
            contact_phone=_contact_phone(contact.phone_number, known=bool(contact.user_id)),
            contact_user_id=str(contact.user_id) if contact.user_id else None,
            **common,
        )
    if message.location is not None:
        where = (message.location.latitude, message.location.longitude)
        return Incoming(text="", location=where, **common)
    if message.photo:
        largest = message.photo[-1]
        photo = Attachment(
            filename="photo.jpg", kind="photo", mime_type="image/jpeg", file_ref=largest.file_id
        )
        return Incoming(text=clean_text(message.caption or ""), attachment=photo, **common)
    if message.document is not None:
        document = Attachment(
            filename=message.document.file_name or "document",
            kind="document",
            mime_type=message.document.mime_type or "application/octet-stream",
            file_ref=message.document.file_id,
        )
        return Incoming(text=clean_text(message.caption or ""), attachment=document, **common)
    if message.text is None:
        return Incoming(text="", **common)
    return Incoming(text=clean_text(message.text), **common)


def _contact_phone(number: str, *, known: bool) -> str:
    """The number of a shared contact. Telegram gives a Telegram user's number (which it
    has verified) in international form but without "+": 37120000000."""
    digits = number.strip()
    return f"+{digits}" if known and digits.isascii() and digits.isdigit() else number


def _retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _neutral(call: Awaitable[T]) -> T:
    """Await a Bot API call; its refusals become the channel-neutral delivery errors."""
    try:
        return await call
    except NotSent as error:
        raise TemporaryFailure("not_sent") from error
    except Forbidden as error:
        raise Blocked("blocked") from error
    except RetryAfter as error:
        raise RateLimited(_retry_after_seconds(error)) from error
    except TimedOut as error:
        raise TemporaryFailure("timeout") from error
    except (BadRequest, ChatMigrated) as error:
        raise PermanentFailure("bad_request") from error
    except TelegramError as error:
        # NetworkError: connection failures and 5xx answers.
        raise TemporaryFailure("network") from error


class TelegramChannel:
    def __init__(self, *, settings: Settings, engine: DialogEngine, senders: Senders) -> None:
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.settings = settings
        self.engine = engine
        self.senders = senders
        base = settings.telegram_api_base_url
        builder = (
            ApplicationBuilder()
            .token(settings.telegram_bot_token.get_secret_value())
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            # Different residents are handled at once, their starts staggered; the engine
            # keeps each one's order.
            .concurrent_updates(
                StaggeredUpdates(
                    settings.telegram_concurrent_updates,
                    stagger=1 / settings.telegram_messages_per_second,
                )
            )
        )
        if settings.telegram_http_client == "aiohttp":
            # Replies, broadcasts (several sends at once) and button answers share one pool;
            # long polling has a connection of its own.
            builder = builder.request(AiohttpRequest(pool_size=HTTP_POOL_SIZE)).get_updates_request(
                AiohttpRequest(pool_size=1)
            )
        self.application: Application = builder.build()
        # Join requests to a unit's group, then everything else: one way into the engine.
        self.application.add_handler(ChatJoinRequestHandler(self._on_update))
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        senders.register(CHANNEL, self.send, self.edit, replier=self.reply, actor=self.act)
        engine.report_error = self.report_error

    @property
    def bot(self) -> Any:
        return self.application.bot

    async def start(self) -> None:
        """Initialise the client, publish the command lists, and start handling updates;
        make the join links of groups linked before the bot could make them."""
        await self.application.initialize()
        await self.publish_commands()
        await self.application.start()
        await self.make_missing_join_links()

    async def make_missing_join_links(self) -> None:
        async with self.engine.sessionmaker() as session:
            units = await units_without_join_link(session)
            chats = [unit.telegram_group_chat_id for unit in units]
        for chat_id in chats:
            assert chat_id is not None
            await self.act(
                Address(CHANNEL, str(chat_id)), GroupAction(GroupActionKind.MAKE_JOIN_LINK)
            )

    async def act(self, group: Address, action: GroupAction) -> None:
        """Let a person into a group or turn them down, or make the group's join link (and
        tell the dialog engine what came of it)."""
        chat_id = int(group.chat_id)
        if action.kind is GroupActionKind.MAKE_JOIN_LINK:
            await self._make_join_link(chat_id)
            return
        assert action.user_id is not None
        try:
            if action.kind is GroupActionKind.APPROVE:
                await self.bot.approve_chat_join_request(
                    chat_id=chat_id, user_id=int(action.user_id)
                )
            else:
                await self.bot.decline_chat_join_request(
                    chat_id=chat_id, user_id=int(action.user_id)
                )
        except TelegramError as error:
            # HIDE_REQUESTER_MISSING: the person withdrew, or an admin decided first.
            logger.info("answering a join request failed: %s", failure_summary(error))

    async def _make_join_link(self, chat_id: int) -> None:
        try:
            link = await self.bot.create_chat_invite_link(
                chat_id=chat_id, creates_join_request=True, name="Padome"
            )
            event, text = Event.JOIN_LINK_MADE, link.invite_link
        except (Forbidden, BadRequest) as error:
            logger.info("making a join link failed: %s", failure_summary(error))
            event, text = Event.JOIN_LINK_REFUSED, "not_admin"
        except TelegramError as error:
            logger.info("making a join link failed: %s", failure_summary(error))
            event, text = Event.JOIN_LINK_REFUSED, "failed"
        told = Incoming(
            channel=CHANNEL,
            user_id="",
            chat_id=str(chat_id),
            chat_kind=ChatKind.GROUP,
            text=text,
            event=event,
            group_id=str(chat_id),
        )
        await self.senders.deliver(await self.engine.handle(told))

    async def stop(self) -> None:
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def start_polling(self) -> None:
        assert self.application.updater is not None
        await self.application.updater.start_polling(drop_pending_updates=False)

    async def publish_commands(self) -> None:
        """Publish the command list in each language; Latvian is also the default."""
        for language in (None, *SUPPORTED_LANGUAGES):
            t = Translator(language or "lv", timezone=self.settings.tz)
            commands = [BotCommand(name, t._(description)) for name, description in COMMANDS]
            await self.bot.set_my_commands(commands, language_code=language)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Hand one update to the dialog engine and send what it answers."""
        incoming = to_incoming(update)
        if incoming is not None:
            if incoming.attachment is not None and incoming.chat_kind is ChatKind.PRIVATE:
                # Files posted in a group are never kept: not fetched either.
                incoming = await self._with_file(incoming)
            await self.senders.deliver(await self.engine.handle(incoming))
        if update.callback_query is not None:
            # The button's spinner stops as the answer arrives. Answering at the same time
            # would need a second connection per update, which costs more than it saves.
            try:
                await update.callback_query.answer()
            except TelegramError as error:
                logger.info("answering a button press failed: %s", type(error).__name__)

    async def _with_file(self, incoming: Incoming) -> Incoming:
        """The message with its photo's or document's bytes, fetched from Telegram before the
        transaction (so no database work waits on it); as it came, if they cannot be had."""
        attachment = incoming.attachment
        assert attachment is not None and attachment.file_ref is not None
        try:
            file = await self.bot.get_file(attachment.file_ref)
            if file.file_size is not None and file.file_size > INCOMING_FILE_MAX:
                return incoming
            content = bytes(await file.download_as_bytearray())
        except TelegramError as error:
            logger.info("fetching a file from Telegram failed: %s", type(error).__name__)
            return incoming
        if not content or len(content) > INCOMING_FILE_MAX:
            return incoming
        return replace(incoming, attachment=replace(attachment, content=content))

    async def send(self, address: Address, reply: Reply) -> str | None:
        """A broadcast's message; returns the id of the last message sent. The dispatcher
        tries the whole again when its first part did not go."""
        return await self._send(address, reply, retrying=False)

    async def reply(self, address: Address, reply: Reply) -> str | None:
        """A reply to a person's message: a part that never left (no connection, or the
        platform's "wait") is tried again, so a busy moment does not lose the answer."""
        return await self._send(address, reply, retrying=True)

    async def _call(self, make: Callable[[], Awaitable[T]], *, retrying: bool) -> T:
        """One Bot API call; with `retrying`, tried again after a refusal that says nothing
        left (a 429, no connection to be had). A timeout after the request left is not tried
        again: the message may have arrived."""
        if not retrying:
            return await _neutral(make())
        return await reply_with_retries(
            lambda: _neutral(make()),
            first_wait=self.settings.reply_retry_seconds,
            platform="Telegram",
            may_retry=lambda error: isinstance(error, RateLimited) or error.reason == "not_sent",
        )

    async def _send(self, address: Address, reply: Reply, *, retrying: bool) -> str | None:
        markup: Any = None
        if any(button.asks_contact for button in reply.options):
            # Only a keyboard under the input field can ask for the contact; the other
            # options become its buttons too, and send their labels as text.
            markup = ReplyKeyboardMarkup(
                [
                    [KeyboardButton(b.label, request_contact=b.asks_contact) for b in row]
                    for row in reply.buttons
                ],
                one_time_keyboard=True,
                resize_keyboard=True,
            )
        elif reply.buttons:
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(b.label, callback_data=b.payload) for b in row]
                    for row in reply.buttons
                ]
            )
        chat_id = int(address.chat_id)
        sent: Any = None
        attachment = reply.attachment
        caption = None
        pieces = split_text(reply.text) if reply.text.strip() else []
        if (
            attachment is not None
            and attachment.kind == "photo"
            and markup is None
            and len(pieces) == 1
            and len(pieces[0]) <= MessageLimit.CAPTION_LENGTH
        ):
            # A photo with a few words and no buttons is one message, the words its caption.
            caption, pieces = pieces[0], []
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            sent = await self._call(
                lambda piece=piece, last=last: self._send_text(
                    chat_id, piece, markup if last and reply.attachment is None else None
                ),
                # Once a part has gone, the rest are tried again here even for a broadcast:
                # the dispatcher, trying the whole again, would send the first ones twice.
                retrying=retrying or index > 0,
            )
        if attachment is not None:
            file: Any = attachment.file_ref or InputFile(
                attachment.content, filename=attachment.filename
            )
            again = retrying or bool(pieces)
            if attachment.kind == "photo":
                sent = await self._call(
                    lambda: self.bot.send_photo(
                        chat_id=chat_id, photo=file, caption=caption, reply_markup=markup
                    ),
                    retrying=again,
                )
            else:
                sent = await self._call(
                    lambda: self.bot.send_document(
                        chat_id=chat_id, document=file, reply_markup=markup
                    ),
                    retrying=again,
                )
        if sent is None:
            return None
        return str(sent["message_id"] if isinstance(sent, dict) else sent.message_id)

    async def _send_text(self, chat_id: int, text: str, markup: Any) -> dict[str, Any]:
        """sendMessage, its answer kept as the Bot API's JSON: only the message's id is read,
        and turning the answer into objects (a message with its buttons) cost more processor
        time than the rest of the send (README, Performance)."""
        parameters: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if markup is not None:
            parameters["reply_markup"] = markup
        return await self.bot.do_api_request("sendMessage", api_kwargs=parameters)

    async def edit(self, address: Address, message_id: str, text: str) -> None:
        await _neutral(
            self.bot.edit_message_text(
                chat_id=int(address.chat_id), message_id=int(message_id), text=text
            )
        )

    async def report_error(self, error: BaseException, incoming: Incoming | None) -> None:
        """Tell the admin chat what failed and where; no names, numbers or message texts."""
        chat_id = self.settings.telegram_admin_chat_id
        if chat_id is None:
            return
        channel = incoming.channel if incoming else "?"
        text = f"Padome error on {channel}: {failure_summary(error)}"
        text = html.escape(text)[:ERROR_REPORT_LIMIT]
        await self.bot.send_message(chat_id=chat_id, text=f"<code>{text}</code>", parse_mode="HTML")

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log errors outside the dialog engine (network, sending) and report them."""
        error = context.error
        if error is None:
            return
        logger.error("telegram channel error: %s\n%s", failure_summary(error), failure_trace(error))
        try:
            await self.report_error(error, None)
        except Exception as report_failure:
            logger.error("reporting to the admin chat failed: %s", type(report_failure).__name__)

    async def process_webhook_update(self, data: dict[str, Any]) -> None:
        try:
            update = Update.de_json(data, self.bot)
        except (KeyError, TypeError, ValueError):
            logger.warning("dropped a Telegram update that could not be read")
            return
        # As the updates fetched by polling: at most so many at once, their starts staggered.
        await self.application.update_processor.process_update(
            update, self.application.process_update(update)
        )
