"""A fake Twilio REST API on 127.0.0.1 that also plays the WhatsApp and SMS users.

The bot under test gets `await fake.start()` as TWILIO_API_BASE_URL and talks real HTTP to it
through the official twilio client. The fake:

- answers `POST /2010-04-01/Accounts/<sid>/Messages.json` with Basic auth checked, as Twilio
  does: 201 with a message resource, or Twilio's error JSON (21610 unsubscribed recipient,
  21617 body over 1,600 UTF-16 code units, 21619 nothing to send, and on demand
  (`fail_next`) 20429 too many requests with or without Retry-After, 500, 21211 invalid
  number);
- fetches each MediaUrl from the bot's web app, as Twilio does before sending media, and serves
  the media users send (`user_says(..., media=...)`) to the account's credentials;
- keeps WhatsApp's 24-hour rule: free text to someone who has not written within 24 hours is
  accepted and then fails with error 63016 in its status callback; a Content template goes;
- sends signed status callbacks (sent, then delivered or failed) to each StatusCallback;
- plays the residents: `user_says(...)` POSTs a signed inbound webhook to the bot, the way
  Twilio would, signed for the bot's public URL and delivered to where it really listens
  (as a reverse proxy would).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

T = TypeVar("T")

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-test-auth-token"
WHATSAPP_NUMBER = "whatsapp:+37120000000"
SMS_NUMBER = "+37120000001"
WINDOW_SECONDS = 24 * 3600


@dataclass
class SentMessage:
    sid: str
    to: str  # as Twilio got it: whatsapp:+371... or +371...
    sender: str
    body: str
    media: list[bytes] = field(default_factory=list)
    # The Content-Type each media URL answered with (WhatsApp refuses what it cannot show).
    media_types: list[str] = field(default_factory=list)
    content_sid: str | None = None
    content_variables: str | None = None
    status_callback: str | None = None
    status: str = "queued"
    error_code: int | None = None
    sent_at: float = 0.0  # the event loop's time when Twilio took it

    @property
    def phone(self) -> str:
        return self.to.removeprefix("whatsapp:")

    @property
    def reached(self) -> bool:
        """Whether the person got it (not failed for the 24-hour rule)."""
        return self.error_code is None


class FakeTwilio:
    def __init__(
        self,
        *,
        public_base_url: str,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.validator = RequestValidator(auth_token)
        # What the bot's webhooks are signed for, and where the bot really listens.
        self.public_base_url = public_base_url
        self.bot_base_url: str | None = None
        self.base_url: str | None = None
        self.sent: list[SentMessage] = []
        self.unsubscribed: set[str] = set()
        # Phones whose WhatsApp reports reading each message after delivering it.
        self.readers: set[str] = set()
        self.last_inbound: dict[str, float] = {}
        # Per phone, the answers to its next sends: None goes through, else (status,
        # Retry-After).
        self.failures: dict[str, list[tuple[int, str | None] | None]] = {}
        self.callbacks: list[dict[str, str]] = []
        self.refused: list[int] = []
        # (phone, HTTP status, loop time) of each refused send
        self.refusals: list[tuple[str, int, float]] = []
        self._sids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        # Media users sent: path -> (bytes, content type), fetched with Basic auth.
        self._user_media: dict[str, tuple[bytes, str]] = {}

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", self._create_message)
        app.router.add_get(
            "/2010-04-01/Accounts/{account}/Messages/{message}/Media/{media}", self._user_media_file
        )
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        self._http = aiohttp.ClientSession()
        return self.base_url

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---------------------------------------------------------------- the users' side

    async def user_says(
        self,
        channel: str,
        phone: str,
        text: str,
        *,
        message_sid: str | None = None,
        profile_name: str | None = None,
        media: tuple[bytes, str] | None = None,
        location: tuple[float, float] | None = None,
    ) -> int:
        """A WhatsApp or SMS user writes to the bot, optionally with one photo or file
        (`media`: its bytes and content type) or a shared location (WhatsApp); returns the
        webhook's HTTP status."""
        sender = f"whatsapp:{phone}" if channel == "whatsapp" else phone
        sid = message_sid or self.new_sid()
        form = {
            "MessageSid": sid,
            "AccountSid": self.account_sid,
            "From": sender,
            "To": WHATSAPP_NUMBER if channel == "whatsapp" else SMS_NUMBER,
            "Body": text,
            "NumMedia": "0",
        }
        if media is not None:
            path = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media/ME{sid[2:]}"
            self._user_media[path] = media
            form.update(
                NumMedia="1", MediaUrl0=f"{self.base_url}{path}", MediaContentType0=media[1]
            )
        if location is not None:
            form.update(Latitude=str(location[0]), Longitude=str(location[1]))
        if channel == "whatsapp":
            form["ProfileName"] = profile_name or "Test"
            form["WaId"] = phone.lstrip("+")
            self.last_inbound[phone] = time.time()
        status, _ = await self.post_signed(f"/twilio/{channel}", form)
        return status

    async def post_signed(
        self, path: str, form: dict[str, str], *, signature: str | None = None
    ) -> tuple[int, str]:
        """POST a form to the bot as Twilio does, signed for the bot's public URL."""
        assert self._http is not None and self.bot_base_url is not None
        if signature is None:
            signature = self.validator.compute_signature(f"{self.public_base_url}{path}", form)
        async with self._http.post(
            f"{self.bot_base_url}{path}",
            data=urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            },
        ) as response:
            return response.status, await response.text()

    def messages_to(self, phone: str) -> list[SentMessage]:
        return [message for message in self.sent if message.phone == phone]

    def texts_to(self, phone: str) -> list[str]:
        return [message.body for message in self.messages_to(phone)]

    async def wait_for(
        self,
        phone: str,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[SentMessage]:
        """Wait until `phone` has at least `count` messages; return them all."""
        return await self.wait_until(
            lambda: self.messages_to(phone) if len(self.messages_to(phone)) >= count else None,
            timeout,
        )

    async def wait_until(self, check: Callable[[], T | None], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            changed = self._changed
            found = check()
            if found is not None:
                return found
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no match after {timeout}s; sent: {self.sent!r}")
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                pass

    def fail_next(
        self,
        phone: str,
        status: int,
        times: int = 1,
        *,
        after: int = 0,
        retry_after: str | None = None,
    ) -> None:
        """After `after` more sends to `phone` go through, the next `times` get HTTP
        `status`: 429 (with a Retry-After header when given), 5xx, or 400 (an invalid number,
        as Twilio answers it)."""
        answers: list[tuple[int, str | None] | None] = [None] * after
        answers += [(status, retry_after)] * times
        self.failures.setdefault(phone, []).extend(answers)

    def new_sid(self) -> str:
        return f"SM{next(self._sids):032x}"

    # ---------------------------------------------------------------- the REST API

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _authorised(self, request: web.Request) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return secrets.compare_digest(request.headers.get("Authorization", ""), f"Basic {expected}")

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return web.json_response(
            {"code": code, "message": message, "more_info": "", "status": status},
            status=status,
        )

    async def _user_media_file(self, request: web.Request) -> web.Response:
        """A user's media, to the account's credentials only (Twilio's HTTP auth on media)."""
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        found = self._user_media.get(request.path)
        if found is None:
            return self._error(404, 20404, "The requested resource was not found")
        content, content_type = found
        return web.Response(body=content, content_type=content_type)

    async def _create_message(self, request: web.Request) -> web.Response:
        if not self._authorised(request) or request.match_info["account"] != self.account_sid:
            return self._error(401, 20003, "Authenticate")
        form = await request.post()
        to = str(form.get("To", ""))
        phone = to.removeprefix("whatsapp:")
        queued = self.failures.get(phone)
        failure = queued.pop(0) if queued else None
        if failure is not None:
            status, retry_after = failure
            self.refused.append(status)
            self.refusals.append((phone, status, asyncio.get_running_loop().time()))
            self._notify()
            if status == 429:
                response = self._error(429, 20429, "Too Many Requests")
                if retry_after is not None:
                    response.headers["Retry-After"] = retry_after
                return response
            if status >= 500:
                return self._error(status, 20500, "Internal Server Error")
            return self._error(status, 21211, "The 'To' number is not a valid phone number")
        if phone in self.unsubscribed:
            self.refused.append(21610)
            return self._error(400, 21610, "Attempt to send to unsubscribed recipient")
        body = str(form.get("Body", ""))
        media_urls = [str(url) for url in form.getall("MediaUrl", [])]
        content_sid = form.get("ContentSid")
        if not body and not media_urls and not content_sid:
            return self._error(400, 21619, "A text message body or media urls must be specified")
        if len(body.encode("utf-16-le")) // 2 > 1600:  # Twilio counts UTF-16 code units
            return self._error(400, 21617, "The concatenated message body exceeds the 1600 limit")
        sender = str(form.get("From") or form.get("MessagingServiceSid") or "")
        message = SentMessage(
            sid=self.new_sid(),
            to=to,
            sender=sender,
            body=body,
            content_sid=str(content_sid) if content_sid else None,
            content_variables=str(form["ContentVariables"])
            if form.get("ContentVariables")
            else None,
            status_callback=str(form["StatusCallback"]) if form.get("StatusCallback") else None,
            sent_at=asyncio.get_running_loop().time(),
        )
        for url in media_urls:
            content, content_type = await self._fetch(url)
            message.media.append(content)
            message.media_types.append(content_type)
        outside_window = (
            to.startswith("whatsapp:")
            and content_sid is None
            and time.time() - self.last_inbound.get(phone, 0) > WINDOW_SECONDS
        )
        if outside_window:
            message.error_code = 63016
        self.sent.append(message)
        self._notify()
        if message.status_callback:
            task = asyncio.create_task(self._report(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response(self._resource(message), status=201)

    def _resource(self, message: SentMessage) -> dict[str, Any]:
        return {
            "sid": message.sid,
            "account_sid": self.account_sid,
            "to": message.to,
            "from": message.sender,
            "body": message.body,
            "status": "queued",
            "num_media": str(len(message.media)),
            "num_segments": "1",
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{message.sid}.json",
        }

    async def _fetch(self, url: str) -> tuple[bytes, str]:
        """Fetch media from the bot's public URL, reached where the bot really listens."""
        assert self._http is not None and self.bot_base_url is not None
        assert url.startswith(self.public_base_url), url
        real = self.bot_base_url + url.removeprefix(self.public_base_url)
        async with self._http.get(real) as response:
            assert response.status == 200, f"media {url} answered {response.status}"
            return await response.read(), response.content_type

    async def _report(self, message: SentMessage) -> None:
        """Status callbacks as Twilio sends them: sent, then delivered or failed."""
        assert message.status_callback is not None
        path = message.status_callback.removeprefix(self.public_base_url)
        steps = [("sent", None)]
        steps.append(("failed", message.error_code) if message.error_code else ("delivered", None))
        if not message.error_code and message.to.removeprefix("whatsapp:") in self.readers:
            steps.append(("read", None))
        for status, code in steps:
            await asyncio.sleep(0.02)
            form = {
                "MessageSid": message.sid,
                "MessageStatus": status,
                "AccountSid": self.account_sid,
                "To": message.to,
                "From": message.sender,
            }
            if code is not None:
                form["ErrorCode"] = str(code)
            try:
                answer, _ = await self.post_signed(path, form)
            except aiohttp.ClientError:
                return  # the bot has stopped; Twilio would retry later, a test has ended
            message.status = status
            self.callbacks.append({**form, "answer": str(answer)})
            self._notify()
