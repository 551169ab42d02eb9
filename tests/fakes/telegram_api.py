"""A fake Telegram Bot API server on 127.0.0.1 for driving the real python-telegram-bot client.

The bot under test gets `await api.start()` as TELEGRAM_API_BASE_URL and talks real HTTP to
`/bot<token>/<method>`, exactly as it would to Telegram. Tests play the residents' side:

    api = FakeTelegramAPI()
    base_url = await api.start()
    ...  # run the bot with telegram_api_base_url=base_url
    api.push_message(1001, "/start")                  # a resident writes
    [prompt] = await api.wait_for(chat_id=1001, count=1)
    api.push_callback(1001, "lang:lv")                # ... and taps a button
    await api.stop()

What the server does:
- answers getMe, setMyCommands/getMyCommands/deleteMyCommands, setWebhook/deleteWebhook/
  getWebhookInfo, getUpdates (long polling), sendMessage, sendPhoto, sendDocument (multipart
  upload: the bytes and file name are kept), getFile and the file download of photos users
  sent (`push_photo`), answerCallbackQuery, editMessageText,
  editMessageReplyMarkup, close and logOut, createChatInviteLink, approveChatJoinRequest
  and declineChatJoinRequest, in the Bot API envelope with realistic objects;
- delivers what users do: messages, contacts, photos, button taps, changes to messages
  sent before (`push_edit`) and requests to join a group (`push_join_request`);
- keeps a group's pending join requests and members let in (`members`, `declined`); refuses
  an invite link where the bot is no administrator (`not_admin_in`, CHAT_ADMIN_REQUIRED) and
  an answer to a request that is not pending (HIDE_REQUESTER_MISSING), as Telegram does;
- checks what Telegram checks and a bot could get wrong: empty or over-long texts and
  captions, uploaded photos over Telegram's limits (`PhotoLimits`: width and height adding up
  to over 10,000 px, one side over 20 times the other, over 10 MB), callback data over 64
  bytes, invalid command lists, unknown or twice-answered callback queries, edits that change
  nothing, getUpdates while a webhook is set;
- records every call (`calls`) and every message the bot sent, per chat (`messages_to`);
- optionally enforces Telegram's flood limits (`FloodLimits`), answering 429 with
  `parameters.retry_after` and counting the refusals (`rate_limited`);
- injects failures per chat for the next calls (`fail_next`): blocked by the user (403),
  server error (500), or an answer slower than the client's timeout.

Parameters are decoded the way the Bot API reads them: PTB sends form fields whose non-string
values are JSON, or multipart/form-data when a file is uploaded; JSON bodies work as well.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import json
import math
import re
import struct
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

__all__ = [
    "ApiCall",
    "FailureKind",
    "FakeTelegramAPI",
    "FloodLimits",
    "PhotoLimits",
    "UploadedFile",
    "image_size",
    "labels",
    "payloads",
]

JSONDict = dict[str, Any]
T = TypeVar("T")
Predicate = Callable[[list[JSONDict]], object]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_COMMANDS = 100
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
DEFAULT_BOT_ID = 123456
# Methods that put a new message into a chat; only these count against the flood limits.
SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})

# How form fields are decoded; every other field stays a string (texts, captions, codes).
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "offset",
        "limit",
        "timeout",
        "message_id",
        "reply_to_message_id",
        "message_thread_id",
        "cache_time",
        "max_connections",
        "user_id",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "has_spoiler",
    }
)
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
    }
)


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded in a multipart request."""

    field: str
    filename: str | None
    content: bytes
    content_type: str | None


@dataclass
class ApiCall:
    """One request the bot made; `status` is the HTTP status it was answered with."""

    method: str
    params: JSONDict
    at: float  # time.time() when the request arrived
    status: int | None = None
    # Why the call was refused on purpose: "flood", or a FailureKind value.
    refused: str | None = None


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's limits on sending: overall, per private chat, per group."""

    overall_per_second: int = 30
    private_chat_per_second: int = 1
    group_per_minute: int = 20


@dataclass(frozen=True)
class PhotoLimits:
    """What Telegram accepts as an uploaded photo (sendPhoto)."""

    side_sum: int = 10_000  # width + height, in pixels
    ratio: float = 20.0  # the longer side over the shorter
    size: int = 10 * 1024 * 1024  # bytes


class FailureKind(enum.StrEnum):
    BLOCKED = "blocked"  # 403 Forbidden: bot was blocked by the user
    SERVER_ERROR = "server_error"  # 500 Internal Server Error
    TIMEOUT = "timeout"  # the answer is held back for `delay` seconds
    FLOOD = "flood"  # 429 Too Many Requests, retry after `delay` whole seconds


@dataclass
class _Failure:
    kind: FailureKind
    remaining: int | None  # None: every call until `clear_failures`
    delay: float
    deliver: bool


class _ApiError(Exception):
    """A Bot API error answer: {"ok": false, "error_code": ..., "description": ...}."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


class FakeTelegramAPI:
    """The Bot API as the bot sees it; see the module docstring for how tests drive it."""

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_username: str = "padome_test_bot",
        bot_first_name: str = "Padome",
        flood_limits: FloodLimits | None = None,
        photo_limits: PhotoLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`token`: when given, other tokens are answered 401 like a revoked token.

        `photo_limits`: Telegram's unless given (stricter ones make any photo refused).
        `clock` measures the flood-limit windows; pass a controllable one for exact tests.
        """
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.flood_limits = flood_limits
        self.photo_limits = photo_limits or PhotoLimits()
        self.clock = clock

        self.calls: list[ApiCall] = []
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.webhook: JSONDict | None = None
        self.answered_callbacks: dict[str, JSONDict] = {}
        # Groups: where the bot is not an administrator, links it made, members it let in.
        self.not_admin_in: set[int] = set()
        self.invite_links: dict[int, list[JSONDict]] = {}
        self.members: dict[int, set[int]] = {}
        self.declined: dict[int, set[int]] = {}
        self._join_requests: set[tuple[int, int]] = set()
        self.rate_limited = 0  # 429 answers given
        self.injected_failures = 0  # answers changed by fail_next

        self.base_url: str | None = None  # set by start()
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._changed = asyncio.Event()
        self._update_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        # Files users sent (photos): file_id -> bytes, served by getFile and /file/bot...
        self._user_files: dict[str, bytes] = {}
        # Updates not yet confirmed, in the order they were pushed, with "was returned" flags.
        self._pending: list[tuple[JSONDict, bool]] = []
        self._sent: list[JSONDict] = []
        self._by_chat: dict[int, list[JSONDict]] = {}
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._open_callbacks: set[str] = set()
        self._failures: dict[int, deque[_Failure]] = {}
        self._sent_overall: deque[float] = deque()
        self._sent_per_chat: dict[int, deque[float]] = {}
        self._bot_id = DEFAULT_BOT_ID
        self._methods: dict[str, Callable[[JSONDict], Awaitable[Any]]] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "logOut": self._true,
                "close": self._true,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "getUpdates": self._get_updates,
                "getFile": self._get_file,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "sendDocument": self._send_document,
                "answerCallbackQuery": self._answer_callback_query,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "createChatInviteLink": self._create_chat_invite_link,
                "approveChatJoinRequest": self._approve_chat_join_request,
                "declineChatJoinRequest": self._decline_chat_join_request,
            }.items()
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> str:
        """Listen on a free port of 127.0.0.1; return the base URL for TELEGRAM_API_BASE_URL."""
        # Bots may upload files of up to 50 MB.
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def stop(self) -> None:
        """Release held requests (long polls, injected delays) and close the server."""
        self._closing.set()
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---------------------------------------------------------------- residents' side

    def message_update(
        self,
        user_id: int,
        text: str | None,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Anna",
        language_code: str | None = "lv",
        update_id: int | None = None,
        contact: JSONDict | str | None = None,
    ) -> JSONDict:
        """Build (without queueing) the update of a message from a user.

        In a group pass a negative `chat_id` and `chat_type="group"` or "supergroup".
        `contact` is a Contact object, or a phone number shared as the sender's own contact.
        Webhook tests POST this; polling tests use push_message.
        """
        user = self._remember_user(user_id, first_name=first_name, language_code=language_code)
        chat = self._chat_of(user, chat_id=chat_id, chat_type=chat_type)
        message: JSONDict = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        if contact is not None:
            if isinstance(contact, str):
                contact = {"phone_number": contact, "first_name": first_name, "user_id": user_id}
            message["contact"] = contact
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"update_id": self._new_update_id(update_id), "message": message}

    def callback_update(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        update_id: int | None = None,
    ) -> JSONDict:
        """Build (without queueing) the update of a tap on a button with `data`.

        The button sits under the bot's message `message_id` in the chat (the user's private
        chat unless `chat_id`), or under the last message the bot sent there. Any `data` may
        be given: a modified client can send whatever it likes.
        """
        user = self._known_user(user_id)
        chat_id = user_id if chat_id is None else chat_id
        message = self._find_sent(chat_id, message_id)
        if message is None:
            raise ValueError(f"the bot has sent no message {message_id or ''} to chat {chat_id}")
        query_id = str(next(self._callback_ids))
        self._open_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": user,
            "message": message["raw"],
            "chat_instance": f"ci{chat_id}",
            "data": data,
        }
        return {"update_id": self._new_update_id(update_id), "callback_query": query}

    def push_message(
        self,
        user_id: int,
        text: str | None,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Anna",
        language_code: str | None = "lv",
        update_id: int | None = None,
        contact: JSONDict | str | None = None,
    ) -> int:
        """Queue a message from a user (see message_update); return its update_id."""
        update = self.message_update(
            user_id,
            text,
            chat_id=chat_id,
            chat_type=chat_type,
            first_name=first_name,
            language_code=language_code,
            update_id=update_id,
            contact=contact,
        )
        return self.push_raw(update)

    def push_edit(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Anna",
    ) -> int:
        """Queue the update Telegram sends when a user changes a message they sent before:
        an `edited_message` with the new text. Returns the update_id."""
        update = self.message_update(
            user_id, text, chat_id=chat_id, chat_type=chat_type, first_name=first_name
        )
        message = update.pop("message")
        message["edit_date"] = message["date"]
        update["edited_message"] = message
        return self.push_raw(update)

    def push_photo(
        self, user_id: int, content: bytes, *, caption: str | None = None, first_name: str = "Anna"
    ) -> int:
        """Queue a photo a user sends (in two sizes, as Telegram delivers it), with an
        optional caption; the bot can fetch the larger one by getFile. Returns the update_id."""
        update = self.message_update(user_id, None, first_name=first_name)
        number = next(self._file_ids)
        large = f"user-photo-{number}"
        self._user_files[large] = content
        update["message"]["photo"] = [
            {
                "file_id": f"{large}-small",
                "file_unique_id": f"us{number}",
                "width": 90,
                "height": 68,
                "file_size": 1024,
            },
            {
                "file_id": large,
                "file_unique_id": f"ul{number}",
                "width": 1280,
                "height": 960,
                "file_size": len(content),
            },
        ]
        if caption is not None:
            update["message"]["caption"] = caption
        return self.push_raw(update)

    def push_callback(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        update_id: int | None = None,
    ) -> int:
        """Queue a button tap (see callback_update); return its update_id."""
        update = self.callback_update(
            user_id, data, message_id=message_id, chat_id=chat_id, update_id=update_id
        )
        return self.push_raw(update)

    def join_request_update(
        self,
        user_id: int,
        chat_id: int,
        *,
        first_name: str = "Anna",
        language_code: str | None = "lv",
        update_id: int | None = None,
    ) -> JSONDict:
        """Build (without queueing) the update of a user asking to join group `chat_id`
        through the last invite link the bot made there."""
        user = self._remember_user(user_id, first_name=first_name, language_code=language_code)
        chat = self._chats.get(chat_id) or {
            "id": chat_id,
            "type": "supergroup",
            "title": f"Group {chat_id}",
        }
        self._chats[chat_id] = chat
        self._join_requests.add((chat_id, user_id))
        request: JSONDict = {
            "chat": chat,
            "from": user,
            "user_chat_id": user_id,
            "date": int(time.time()),
        }
        links = self.invite_links.get(chat_id)
        if links:
            request["invite_link"] = links[-1]
        return {"update_id": self._new_update_id(update_id), "chat_join_request": request}

    def push_join_request(self, user_id: int, chat_id: int, **options: Any) -> int:
        """Queue a join request (see join_request_update); return its update_id."""
        return self.push_raw(self.join_request_update(user_id, chat_id, **options))

    def pending_join_requests(self, chat_id: int) -> set[int]:
        return {user for chat, user in self._join_requests if chat == chat_id}

    def push_raw(self, update: JSONDict) -> int:
        """Queue an update as given; push the same one twice to simulate a redelivery."""
        if not isinstance(update.get("update_id"), int):
            raise ValueError("an update needs an integer update_id")
        self._pending.append((dict(update), False))
        self._notify()
        return int(update["update_id"])

    # ---------------------------------------------------------------- what tests look at

    def messages_to(self, chat_id: int) -> list[JSONDict]:
        """What the bot sent to a chat, oldest first.

        Each item: message_id, chat_id, method, date, text (the caption for files),
        buttons (rows of {"text", "callback_data"}), document and photo ({"filename",
        "content", "mime_type"} or None), edited (bool), and raw (the Bot API Message).
        """
        return list(self._by_chat.get(chat_id, []))

    @property
    def messages(self) -> list[JSONDict]:
        """Everything the bot sent, to any chat, oldest first."""
        return list(self._sent)

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def commands_for(self, language_code: str = "", scope: str = "default") -> list[JSONDict]:
        return list(self.commands.get((scope, language_code), []))

    @property
    def pending_updates(self) -> int:
        return len(self._pending)

    async def wait_for(
        self,
        predicate: Predicate | None = None,
        *,
        chat_id: int | None = None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per wait reads best in tests
    ) -> list[JSONDict]:
        """Wait until the sent messages satisfy a condition; return them.

        With `chat_id`: until that chat has at least `count` messages (and `predicate`, if
        given, holds for them); returns the chat's messages. Otherwise until `predicate`
        holds for all sent messages; returns those.
        """
        if predicate is None and chat_id is None:
            raise ValueError("give a predicate, a chat_id, or both")

        def check() -> list[JSONDict] | None:
            found = self.messages_to(chat_id) if chat_id is not None else self.messages
            if chat_id is not None and len(found) < count:
                return None
            if predicate is not None and not predicate(found):
                return None
            return found

        try:
            return await self._wait_until(check, timeout)
        except TimeoutError:
            where = f"chat {chat_id}" if chat_id is not None else "any chat"
            found = self.messages_to(chat_id) if chat_id is not None else self.messages
            seen = [message["text"] for message in found]
            raise TimeoutError(
                f"no match after {timeout}s for {where} (count={count}); sent so far: {seen!r}"
            ) from None

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per wait reads best in tests
    ) -> list[ApiCall]:
        """Wait until `method` has been called (and answered) at least `count` times."""

        def check() -> list[ApiCall] | None:
            done = [call for call in self.calls_to(method) if call.status is not None]
            return done if len(done) >= count else None

        try:
            return await self._wait_until(check, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"{method} was called {len(self.calls_to(method))} times, not {count}, "
                f"within {timeout}s"
            ) from None

    async def wait_until_confirmed(
        self,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline per wait reads best in tests
    ) -> None:
        """Wait until the bot has fetched every queued update and confirmed it by offset.

        PTB confirms a batch only after queueing it for handling, so after this the bot's
        own update queue holds everything pushed so far.
        """
        try:
            await self._wait_until(lambda: True if not self._pending else None, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"{len(self._pending)} updates were not confirmed within {timeout}s"
            ) from None

    # ---------------------------------------------------------------- failure injection

    def fail_next(
        self,
        chat_id: int,
        kind: FailureKind | str,
        *,
        count: int | None = 1,
        delay: float = 10.0,
        deliver: bool = False,
    ) -> None:
        """Make the next `count` calls addressed to `chat_id` fail (None: all until cleared).

        BLOCKED answers 403 "Forbidden: bot was blocked by the user", SERVER_ERROR answers
        500, FLOOD answers 429 with a `retry_after` of `delay` seconds (nothing is sent).
        TIMEOUT holds the answer `delay` seconds, longer than the client waits: with
        `deliver` the message is delivered at once and only the answer is late (the sender
        cannot tell), without it nothing is delivered and 502 Bad Gateway follows the delay.
        """
        failure = _Failure(FailureKind(kind), count, delay, deliver)
        self._failures.setdefault(chat_id, deque()).append(failure)

    def clear_failures(self, chat_id: int | None = None) -> None:
        if chat_id is None:
            self._failures.clear()
        else:
            self._failures.pop(chat_id, None)

    # ---------------------------------------------------------------- HTTP plumbing

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        name = request.match_info["method"]
        call = ApiCall(method=name, params={}, at=time.time())
        self.calls.append(call)
        try:
            if self.token is not None and token != self.token:
                raise _ApiError(401, "Unauthorized")
            self._bot_id = _bot_id_of(token)
            try:
                call.params = await _read_params(request)
            except ValueError as exc:
                raise _bad_request(str(exc)) from exc
            handler = self._methods.get(name.lower())
            if handler is None:
                raise _ApiError(404, "Not Found")
            result = await self._guarded(call, handler)
        except _ApiError as error:
            call.status = error.status
            self._notify()
            return _error_response(error)
        call.status = 200
        self._notify()
        return web.json_response({"ok": True, "result": result})

    async def _guarded(self, call: ApiCall, handler: Callable[[JSONDict], Awaitable[Any]]) -> Any:
        """Apply injected failures and flood limits to calls addressed to a chat."""
        chat_id = call.params.get("chat_id")
        if not isinstance(chat_id, int):
            return await handler(call.params)
        failure = self._take_failure(chat_id)
        if failure is not None:
            call.refused = failure.kind.value
            self.injected_failures += 1
            if failure.kind is FailureKind.BLOCKED:
                raise _ApiError(403, "Forbidden: bot was blocked by the user")
            if failure.kind is FailureKind.SERVER_ERROR:
                raise _ApiError(500, "Internal Server Error")
            if failure.kind is FailureKind.FLOOD:
                self.rate_limited += 1
                wait = max(1, int(failure.delay))
                raise _ApiError(
                    429, f"Too Many Requests: retry after {wait}", {"retry_after": wait}
                )
            result = await handler(call.params) if failure.deliver else None
            await self._hold(failure.delay)
            if not failure.deliver:
                raise _ApiError(502, "Bad Gateway")
            return result
        if call.method.lower() in SEND_METHODS and self.flood_limits is not None:
            retry_after = self._flood_wait(chat_id)
            if retry_after is not None:
                call.refused = "flood"
                self.rate_limited += 1
                raise _ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
        return await handler(call.params)

    def _take_failure(self, chat_id: int) -> _Failure | None:
        queue = self._failures.get(chat_id)
        if not queue:
            return None
        failure = queue[0]
        if failure.remaining is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.popleft()
        return failure

    def _flood_wait(self, chat_id: int) -> int | None:
        """Seconds to wait before this chat may get a message, or None and count the send."""
        assert self.flood_limits is not None
        limits = self.flood_limits
        now = self.clock()
        overall = _prune(self._sent_overall, now - 1.0)
        per_chat = self._sent_per_chat.setdefault(chat_id, deque())
        window, allowed = (1.0, limits.private_chat_per_second)
        if chat_id < 0:
            window, allowed = (60.0, limits.group_per_minute)
        _prune(per_chat, now - window)
        waits = []
        if len(overall) >= limits.overall_per_second:
            waits.append(overall[0] + 1.0 - now)
        if len(per_chat) >= allowed:
            waits.append(per_chat[0] + window - now)
        if waits:
            return max(1, math.ceil(max(waits)))
        overall.append(now)
        per_chat.append(now)
        return None

    async def _hold(self, seconds: float) -> None:
        """Wait `seconds`, or less when the server stops."""
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            pass

    async def _wait_until(self, check: Callable[[], T | None], seconds: float) -> T:
        """Return check()'s first non-None result, re-checking on every change."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            changed = self._changed
            found = check()
            if found is not None:
                return found
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                pass

    def _notify(self) -> None:
        """Wake everyone waiting for a change (new update, message or answered call)."""
        self._changed.set()
        self._changed = asyncio.Event()

    # ---------------------------------------------------------------- users, chats, messages

    def _remember_user(
        self, user_id: int, *, first_name: str, language_code: str | None
    ) -> JSONDict:
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = user
        return user

    def _known_user(self, user_id: int) -> JSONDict:
        known = self._users.get(user_id)
        return known or self._remember_user(user_id, first_name="Anna", language_code="lv")

    def _chat_of(self, user: JSONDict, *, chat_id: int | None, chat_type: str) -> JSONDict:
        if chat_type == "private":
            if chat_id is not None and chat_id != user["id"]:
                raise ValueError("a private chat's id is the user's id")
            chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        else:
            if chat_id is None or chat_id >= 0:
                raise ValueError("a group chat needs a negative chat_id")
            chat = {"id": chat_id, "type": chat_type, "title": f"Group {chat_id}"}
        self._chats[chat["id"]] = chat
        return chat

    def _chat(self, chat_id: int) -> JSONDict:
        known = self._chats.get(chat_id)
        if known is not None:
            return known
        if chat_id > 0:
            user = self._known_user(chat_id)
            return {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        return {"id": chat_id, "type": "supergroup", "title": f"Group {chat_id}"}

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _new_update_id(self, update_id: int | None) -> int:
        if update_id is None:
            return next(self._update_ids)
        self._update_ids = itertools.count(max(update_id + 1, next(self._update_ids)))
        return update_id

    def _find_sent(self, chat_id: int, message_id: int | None) -> JSONDict | None:
        sent = self._by_chat.get(chat_id, [])
        if message_id is None:
            return sent[-1] if sent else None
        return next((m for m in sent if m["message_id"] == message_id), None)

    @property
    def _bot_user(self) -> JSONDict:
        return {
            "id": self._bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _record(self, chat_id: int, method: str, content: JSONDict, kept: JSONDict) -> JSONDict:
        """Store a message the bot sent and return its Bot API Message."""
        raw: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "from": self._bot_user,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        record: JSONDict = {
            "message_id": raw["message_id"],
            "chat_id": chat_id,
            "method": method,
            "date": raw["date"],
            "text": raw.get("text", raw.get("caption")),
            "buttons": _buttons(raw.get("reply_markup")),
            "document": None,
            "photo": None,
            "edited": False,
            "raw": raw,
            **kept,
        }
        self._sent.append(record)
        self._by_chat.setdefault(chat_id, []).append(record)
        return raw

    # ---------------------------------------------------------------- Bot API methods

    async def _true(self, params: JSONDict) -> bool:
        return True

    async def _create_chat_invite_link(self, params: JSONDict) -> JSONDict:
        chat_id = _chat_id(params)
        if chat_id >= 0:
            raise _bad_request("chat not found")
        if chat_id in self.not_admin_in:
            raise _bad_request("CHAT_ADMIN_REQUIRED")
        made = self.invite_links.setdefault(chat_id, [])
        link: JSONDict = {
            "invite_link": f"https://t.me/+fake{abs(chat_id)}x{len(made) + 1}",
            "creator": self._bot_user,
            "creates_join_request": params.get("creates_join_request") in (True, "true"),
            "is_primary": False,
            "is_revoked": False,
        }
        if params.get("name"):
            link["name"] = str(params["name"])[:32]
        made.append(link)
        return link

    def _take_join_request(self, params: JSONDict) -> tuple[int, int]:
        chat_id = _chat_id(params)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise _bad_request("user_id is required")
        if chat_id in self.not_admin_in:
            raise _bad_request("CHAT_ADMIN_REQUIRED")
        if (chat_id, user_id) not in self._join_requests:
            if user_id in self.members.get(chat_id, set()):
                raise _bad_request("USER_ALREADY_PARTICIPANT")
            raise _bad_request("HIDE_REQUESTER_MISSING")
        self._join_requests.discard((chat_id, user_id))
        return chat_id, user_id

    async def _approve_chat_join_request(self, params: JSONDict) -> bool:
        chat_id, user_id = self._take_join_request(params)
        self.members.setdefault(chat_id, set()).add(user_id)
        return True

    async def _decline_chat_join_request(self, params: JSONDict) -> bool:
        chat_id, user_id = self._take_join_request(params)
        self.declined.setdefault(chat_id, set()).add(user_id)
        return True

    async def _get_file(self, params: JSONDict) -> JSONDict:
        file_id = str(params.get("file_id", ""))
        if file_id not in self._user_files:
            raise _bad_request("invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(self._user_files[file_id]),
            "file_path": f"photos/{file_id}.jpg",
        }

    async def _download(self, request: web.Request) -> web.Response:
        """A file by the path getFile gave, as Telegram's file server serves it."""
        if self.token is not None and request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        file_id = path.removeprefix("photos/").removesuffix(".jpg")
        if not path.startswith("photos/") or file_id not in self._user_files:
            return web.Response(status=404)
        return web.Response(body=self._user_files[file_id], content_type="image/jpeg")

    async def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self._bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return str(scope.get("type", "default")), str(params.get("language_code") or "")

    async def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        for item in commands:
            if not COMMAND_RE.match(str(item.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(item.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad_request("LANG_CODE_INVALID")
        self.commands[self._commands_key(params)] = commands
        return True

    async def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return self.commands.get(self._commands_key(params), [])

    async def _delete_my_commands(self, params: JSONDict) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _set_webhook(self, params: JSONDict) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        if not url.startswith("https://"):
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook = {
            "url": url,
            "secret_token": params.get("secret_token"),
            "allowed_updates": params.get("allowed_updates"),
        }
        return True

    async def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.webhook = None
        return True

    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        return {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        """Long polling: answer as soon as updates are there, or after `timeout` seconds.

        An update is confirmed, and dropped, when getUpdates is called with an offset above
        its update_id after it has been returned once. An update pushed again with an old
        id (a redelivery, see push_raw) is therefore still returned once.
        """
        if self.webhook is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if isinstance(offset, int):
            self._confirm(offset)

        def batch() -> list[JSONDict] | None:
            if self._closing.is_set():
                return []
            ready = [update for update, _ in self._pending[:limit]]
            return ready or None

        try:
            ready = await self._wait_until(batch, timeout)
        except TimeoutError:
            ready = []
        self._pending = [
            (update, returned or index < len(ready))
            for index, (update, returned) in enumerate(self._pending)
        ]
        return ready

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            # A negative offset keeps only the last -offset updates.
            keep = self._pending[offset:] if -offset < len(self._pending) else self._pending
            self._pending = list(keep)
            self._notify()
            return
        kept = [
            (update, returned)
            for update, returned in self._pending
            if not (returned and update["update_id"] < offset)
        ]
        if len(kept) != len(self._pending):
            self._pending = kept
            self._notify()

    async def _send_message(self, params: JSONDict) -> JSONDict:
        chat_id = _chat_id(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        content: JSONDict = {"text": text}
        content.update(_markup(params))
        return self._record(chat_id, "sendMessage", content, {"keyboard": _keyboard(params)})

    async def _send_photo(self, params: JSONDict) -> JSONDict:
        chat_id = _chat_id(params)
        file = _file_param(params, "photo")
        size = len(file.content) if isinstance(file, UploadedFile) else 0
        width, height = 800, 600
        if isinstance(file, UploadedFile):
            width, height = self._check_photo(file.content)
        photo = [
            {
                "file_id": f"photo-{next(self._file_ids)}",
                "file_unique_id": f"uphoto-{next(self._file_ids)}",
                "width": width,
                "height": height,
                "file_size": size,
            }
        ]
        content: JSONDict = {"photo": photo, **_caption(params), **_markup(params)}
        return self._record(chat_id, "sendPhoto", content, {"photo": _kept_file(file)})

    def _check_photo(self, content: bytes) -> tuple[int, int]:
        """The photo's width and height, or Telegram's refusal of it. Bytes that are no PNG or
        JPEG pass as an 800x600 photo: tests may upload a few made-up bytes as a photo."""
        limits = self.photo_limits
        if len(content) > limits.size:
            raise _bad_request("PHOTO_SAVE_FILE_INVALID")
        found = image_size(content)
        if found is None:
            return 800, 600
        width, height = found
        if (
            min(width, height) < 1
            or width + height > limits.side_sum
            or max(width, height) / min(width, height) > limits.ratio
        ):
            raise _bad_request("PHOTO_INVALID_DIMENSIONS")
        return width, height

    async def _send_document(self, params: JSONDict) -> JSONDict:
        chat_id = _chat_id(params)
        file = _file_param(params, "document")
        document: JSONDict = {
            "file_id": f"document-{next(self._file_ids)}",
            "file_unique_id": f"udocument-{next(self._file_ids)}",
        }
        if isinstance(file, UploadedFile):
            document.update(
                file_name=file.filename,
                mime_type=file.content_type or "application/octet-stream",
                file_size=len(file.content),
            )
        content: JSONDict = {"document": document, **_caption(params), **_markup(params)}
        return self._record(chat_id, "sendDocument", content, {"document": _kept_file(file)})

    async def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_callbacks:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self._open_callbacks.discard(query_id)
        self.answered_callbacks[query_id] = params
        return True

    def _message_to_edit(self, params: JSONDict) -> JSONDict | None:
        if params.get("inline_message_id"):
            return None
        chat_id = _chat_id(params)
        message = self._find_sent(chat_id, int(params.get("message_id") or 0) or -1)
        if message is None:
            raise _bad_request("message to edit not found")
        return message

    async def _edit_message_text(self, params: JSONDict) -> JSONDict | bool:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad_request("text must be non-empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        message = self._message_to_edit(params)
        if message is None:
            return True
        raw = message["raw"]
        if "text" not in raw:
            raise _bad_request("there is no text in the message to edit")
        new_markup = _markup(params).get("reply_markup")
        if raw["text"] == text and raw.get("reply_markup") == new_markup:
            raise _bad_request(_NOT_MODIFIED)
        return self._apply_edit(message, text=text, markup=new_markup)

    async def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict | bool:
        message = self._message_to_edit(params)
        if message is None:
            return True
        new_markup = _markup(params).get("reply_markup")
        if message["raw"].get("reply_markup") == new_markup:
            raise _bad_request(_NOT_MODIFIED)
        return self._apply_edit(message, text=None, markup=new_markup)

    def _apply_edit(
        self, message: JSONDict, *, text: str | None, markup: JSONDict | None
    ) -> JSONDict:
        raw = dict(message["raw"])
        if text is not None:
            raw["text"] = text
            message["text"] = text
        if markup is None:
            raw.pop("reply_markup", None)
        else:
            raw["reply_markup"] = markup
        raw["edit_date"] = int(time.time())
        message.update(raw=raw, buttons=_buttons(markup), edited=True)
        return raw


_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def _error_response(error: _ApiError) -> web.Response:
    body: JSONDict = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return web.json_response(body, status=error.status)


def _bot_id_of(token: str) -> int:
    prefix = token.split(":", 1)[0]
    return int(prefix) if prefix.isdigit() else DEFAULT_BOT_ID


async def _read_params(request: web.Request) -> JSONDict:
    """Decode query string, form, multipart or JSON parameters as the Bot API does."""
    params: JSONDict = {key: _decode_field(key, value) for key, value in request.query.items()}
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("the JSON body must be an object")
        params.update(body)
        return params
    if request.can_read_body:
        form = await request.post()
        files: dict[str, UploadedFile] = {}
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = UploadedFile(
                    key, value.filename, value.file.read(), value.content_type
                )
            else:
                params[key] = _decode_field(key, str(value))
        for key, value in list(params.items()):
            # A file sent under its own part name and referred to as attach://<name>.
            if isinstance(value, str) and value.startswith("attach://"):
                name = value.removeprefix("attach://")
                if name in files:
                    params[key] = files.pop(name)
        params.update(files)
    return params


def _decode_field(key: str, value: str) -> Any:
    if key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"can't parse {key} JSON object") from exc
    if key in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if key in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


def _chat_id(params: JSONDict) -> int:
    chat_id = params.get("chat_id")
    if not isinstance(chat_id, int):
        raise _bad_request("chat not found")
    return chat_id


def _markup(params: JSONDict) -> JSONDict:
    """The reply_markup as Telegram echoes it: only inline keyboards, after checking them."""
    markup = params.get("reply_markup")
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return {}
    for row in markup["inline_keyboard"]:
        for button in row:
            if not str(button.get("text", "")).strip():
                raise _bad_request("BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise _bad_request("BUTTON_DATA_INVALID")
    return {"reply_markup": markup}


def _keyboard(params: JSONDict) -> list[list[JSONDict]] | None:
    """A reply keyboard (buttons under the input field); Telegram does not echo it back."""
    markup = params.get("reply_markup")
    if not isinstance(markup, dict) or "keyboard" not in markup:
        return None
    for row in markup["keyboard"]:
        for button in row:
            if not str(button.get("text", "")).strip():
                raise _bad_request("BUTTON_TEXT_INVALID")
    return [[dict(button) for button in row] for row in markup["keyboard"]]


def _buttons(markup: JSONDict | None) -> list[list[JSONDict]]:
    if not markup:
        return []
    return [[dict(button) for button in row] for row in markup.get("inline_keyboard", [])]


def _caption(params: JSONDict) -> JSONDict:
    caption = params.get("caption")
    if not caption:
        return {}
    if len(caption) > MAX_CAPTION_LENGTH:
        raise _bad_request("message caption is too long")
    return {"caption": caption}


def _file_param(params: JSONDict, name: str) -> UploadedFile | str:
    value = params.get(name)
    if isinstance(value, UploadedFile):
        if not value.content:
            raise _bad_request("file must be non-empty")
        return value
    if isinstance(value, str) and value:
        return value  # a file_id or URL
    raise _bad_request(f"there is no {name} in the request")


def _kept_file(file: UploadedFile | str) -> JSONDict:
    if isinstance(file, UploadedFile):
        return {"filename": file.filename, "content": file.content, "mime_type": file.content_type}
    return {"filename": None, "content": None, "mime_type": None, "file_id": file}


def image_size(content: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG image, from its header; None for other bytes."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        width, height = struct.unpack(">II", content[16:24])
        return width, height
    if not content.startswith(b"\xff\xd8"):
        return None
    at = 2
    while at + 4 <= len(content):
        if content[at] != 0xFF:
            return None
        marker = content[at + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        (length,) = struct.unpack(">H", content[at + 2 : at + 4])
        # Start of frame: every SOFn but DHT (C4), JPG (C8) and DAC (CC).
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if at + 9 > len(content):
                return None
            height, width = struct.unpack(">HH", content[at + 5 : at + 9])
            return width, height
        at += 2 + length
    return None


def _prune(times: deque[float], before: float) -> deque[float]:
    while times and times[0] <= before:
        times.popleft()
    return times


def labels(message: JSONDict) -> list[str]:
    """The button labels of a sent message, row by row."""
    return [button["text"] for row in message["buttons"] for button in row]


def payloads(message: JSONDict) -> list[str]:
    """The callback data of a sent message's buttons, row by row."""
    return [
        button["callback_data"]
        for row in message["buttons"]
        for button in row
        if "callback_data" in button
    ]
