"""WhatsApp and SMS through Twilio: signed webhooks in, the official twilio client out.

Neither has buttons: options are shown as a numbered list and answered with the number or
the text (the dialog engine matches both). Photos and documents go to WhatsApp as media that
Twilio fetches from our web app; SMS gets a short line with the link instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import replace
from datetime import timedelta
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.channels import (
    INCOMING_FILE_MAX,
    Blocked,
    Messenger,
    NeedsTemplate,
    Pacing,
    PermanentFailure,
    RateLimited,
    Senders,
    TemporaryFailure,
    reply_with_retries,
    text_with_options,
)
from bot.channels.sms_text import sms_messages, split_whatsapp
from bot.dialog.engine import DialogEngine
from bot.dialog.messages import Address, Attachment, Incoming, Reply
from bot.errors import failure_summary
from bot.i18n import N_
from bot.parsing import clean_text
from bot.settings import Settings
from models.base import utcnow
from models.broadcasts import DeliveryStatus, apply_message_status
from models.messaging import lock_statuses, media_link, note_read, save_status, store_media
from models.residents import normalise_phone, note_inbound

logger = logging.getLogger(__name__)

WHATSAPP = "whatsapp"
SMS = "sms"
WHATSAPP_WINDOW = timedelta(hours=24)
# Twilio's error codes with a meaning of their own.
UNSUBSCRIBED = 21610  # the person sent STOP to this sender: Twilio refuses further messages
OUTSIDE_WINDOW = 63016  # WhatsApp free text outside the 24-hour window
TOO_MANY_REQUESTS = 20429


def account_pacing(per_second: float) -> Pacing:
    """Twilio queues messages to one number itself; only the account's rate counts."""
    return Pacing(
        per_second=per_second,
        private_chat_per_second=per_second,
        group_per_minute=60 * per_second,
    )


MESSENGERS = (
    Messenger(
        name=WHATSAPP,
        label=N_("WhatsApp"),
        prefix="wa",
        buttons=False,
        contact_sharing=False,
        files=True,
        groups=False,
        phone_accounts=True,
        locations=True,
        pacing=lambda settings: account_pacing(settings.whatsapp_messages_per_second),
        runs=lambda settings: WHATSAPP in settings.phone_channels,
    ),
    Messenger(
        name=SMS,
        label=N_("SMS"),
        prefix="sms",
        buttons=False,
        contact_sharing=False,
        files=False,  # a file goes as a link to it
        groups=False,
        phone_accounts=True,
        pacing=lambda settings: account_pacing(settings.sms_messages_per_second),
        runs=lambda settings: SMS in settings.phone_channels,
    ),
)

# The Retry-After of Twilio's last 429 in this task: the client's exception drops headers.
_retry_after: ContextVar[float | None] = ContextVar("twilio_retry_after", default=None)


class _HttpClient(AsyncTwilioHttpClient):
    """Twilio's own HTTP client, keeping the Retry-After of a 429 answer."""

    async def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        response = await super().request(method, url, *args, **kwargs)
        headers = response.headers or {}
        waited = _seconds(headers.get("Retry-After")) if response.status_code == 429 else None
        _retry_after.set(waited)
        return response


def neutral_status(status: str, error_code: str | None) -> tuple[str, str | None] | None:
    """A Twilio message status in the terms of a delivery row; None while it is on its way."""
    if status in ("delivered", "read"):
        return DeliveryStatus.DELIVERED.value, None
    if status not in ("undelivered", "failed"):
        return None
    if error_code == str(OUTSIDE_WINDOW):
        return DeliveryStatus.NEEDS_TEMPLATE.value, f"twilio:{error_code}"
    if error_code == str(UNSUBSCRIBED):
        return DeliveryStatus.BLOCKED.value, f"twilio:{error_code}"
    return DeliveryStatus.FAILED.value, f"{status}:{error_code or '-'}"


class TwilioChannel:
    """Both Twilio channels of one account: WhatsApp and SMS, whichever has a sender."""

    def __init__(self, *, settings: Settings, engine: DialogEngine, senders: Senders) -> None:
        assert settings.twilio_account_sid and settings.twilio_auth_token
        assert settings.public_base_url is not None
        self.settings = settings
        self.engine = engine
        self.senders = senders
        self.public_base_url = settings.public_base_url
        token = settings.twilio_auth_token.get_secret_value()
        self.validator = RequestValidator(token)
        self.http = _HttpClient(timeout=15)
        self.client = Client(settings.twilio_account_sid, token, http_client=self.http)
        # The REST API's address is a setting, so staging and tests can use another server.
        self.client.api.base_url = settings.twilio_api_base_url
        self.channels: list[str] = []
        if settings.twilio_whatsapp_from:
            senders.register(
                WHATSAPP, self.send_whatsapp, confirms_later=True, replier=self.reply_whatsapp
            )
            self.channels.append(WHATSAPP)
        if settings.twilio_sms_from:
            senders.register(SMS, self.send_sms, confirms_later=True, replier=self.reply_sms)
            self.channels.append(SMS)
        self._background: set[asyncio.Task[None]] = set()
        # One lock a chat while its replies go, so that a reply waiting to be tried again is
        # not overtaken by the answer to the resident's next message.
        self._chats: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def settle(self) -> None:
        """Wait until the replies to every message handled so far have been sent."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def stop(self) -> None:
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
        session = self.http.session
        if session is not None:
            await session.close()

    # ------------------------------------------------------------------ webhooks in

    def signature_is_valid(self, path: str, query: str, form: Mapping[str, str], signature: str):
        """Twilio signs the URL it was given (ours, as the internet sees it) and the form."""
        url = f"{self.public_base_url}{path}" + (f"?{query}" if query else "")
        return bool(signature) and self.validator.validate(url, dict(form), signature)

    def to_incoming(self, channel: str, form: Mapping[str, str]) -> Incoming | None:
        """A neutral message from Twilio's form; None when it lacks what every message has."""
        sender = form.get("From", "")
        message_sid = form.get("MessageSid") or form.get("SmsMessageSid")
        if not sender or not message_sid:
            return None
        phone = normalise_phone(sender.removeprefix("whatsapp:"), region=self.settings.phone_region)
        if phone is None:
            return None
        attachment = None
        if form.get("NumMedia", "0") not in ("", "0") and form.get("MediaUrl0"):
            mime = form.get("MediaContentType0", "application/octet-stream")
            attachment = Attachment(
                filename="photo.jpg" if mime.startswith("image/") else "document",
                kind="photo" if mime.startswith("image/") else "document",
                mime_type=mime,
                file_ref=form["MediaUrl0"],
            )
        return Incoming(
            channel=channel,
            user_id=phone,
            chat_id=phone,
            text=clean_text(form.get("Body", "")),
            display_name=clean_text(form.get("ProfileName", "")) or None,
            attachment=attachment,
            location=_location(form),
            update_key=message_sid,
        )

    async def handle(self, incoming: Incoming) -> None:
        """Handle a message (once, even when Twilio sends it again); replies go afterwards,
        so that Twilio gets its answer at once."""
        if incoming.attachment is not None:
            incoming = await self._with_file(incoming)
        outgoing = await self.engine.handle(incoming)
        if incoming.channel == WHATSAPP:
            async with self.engine.sessionmaker() as session, session.begin():
                await note_inbound(session, WHATSAPP, incoming.user_id, utcnow())
        task = asyncio.create_task(self.senders.deliver(outgoing))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _with_file(self, incoming: Incoming) -> Incoming:
        """The message with its media's bytes, fetched from Twilio with the account's
        credentials (its media may require them); as it came, if they cannot be had."""
        attachment = incoming.attachment
        assert attachment is not None and attachment.file_ref is not None
        settings = self.settings
        assert settings.twilio_account_sid and settings.twilio_auth_token
        auth = aiohttp.BasicAuth(
            settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value()
        )
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
                session.get(attachment.file_ref, auth=auth) as response,
            ):
                too_big = (response.content_length or 0) > INCOMING_FILE_MAX
                if response.status != 200 or too_big:
                    logger.info("Twilio answered %d for a media file", response.status)
                    return incoming
                received = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    received += chunk
                    if len(received) > INCOMING_FILE_MAX:
                        return incoming
                content = bytes(received)
        except (TimeoutError, aiohttp.ClientError) as error:
            logger.info("fetching media from Twilio failed: %s", type(error).__name__)
            return incoming
        if not content or len(content) > INCOMING_FILE_MAX:
            return incoming
        return replace(incoming, attachment=replace(attachment, content=content))

    async def record_status(self, form: Mapping[str, str]) -> bool:
        """Apply a status callback to the delivery row of its message. False if malformed."""
        message_sid = form.get("MessageSid")
        status = form.get("MessageStatus")
        if not message_sid or not status:
            return False
        neutral = neutral_status(status, form.get("ErrorCode") or None)
        if neutral is None:
            return True
        new_status, error = neutral
        async with self.engine.sessionmaker() as session, session.begin():
            await lock_statuses(session)
            await save_status(session, message_id=message_sid, status=new_status, error=error)
            await apply_message_status(
                session, message_id=message_sid, status=new_status, error=error
            )
            if status == "read":
                await note_read(session, message_id=message_sid, now=utcnow())
        return True

    # ------------------------------------------------------------------ messages out

    async def send_whatsapp(self, address: Address, reply: Reply) -> str | None:
        """A broadcast's message (the dispatcher tries it again when nothing went)."""
        return await self._send(await self._whatsapp_parts(address, reply), retrying=False)

    async def send_sms(self, address: Address, reply: Reply) -> str | None:
        """A broadcast's message (the dispatcher tries it again when nothing went)."""
        return await self._send(await self._sms_parts(address, reply), retrying=False)

    async def reply_whatsapp(self, address: Address, reply: Reply) -> str | None:
        """A reply to a person's message."""
        async with self._chat_lock(address):
            return await self._send(await self._whatsapp_parts(address, reply), retrying=True)

    async def reply_sms(self, address: Address, reply: Reply) -> str | None:
        """A reply to a person's message."""
        async with self._chat_lock(address):
            return await self._send(await self._sms_parts(address, reply), retrying=True)

    def _chat_lock(self, address: Address) -> asyncio.Lock:
        key = f"{address.channel}:{address.chat_id}"
        lock = self._chats.get(key)
        if lock is None:
            lock = self._chats[key] = asyncio.Lock()
        return lock

    async def _whatsapp_parts(self, address: Address, reply: Reply) -> list[dict[str, Any]]:
        """The messages to create for one reply: a template outside the 24-hour window, else
        the text in pieces Twilio accepts, the first one with the file."""
        settings = self.settings
        assert settings.twilio_whatsapp_from is not None
        sender = {"to": f"whatsapp:{address.chat_id}", "from_": settings.twilio_whatsapp_from}
        if reply.template is not None and not await self._within_window(address.chat_id):
            content_sid = settings.whatsapp_template(reply.template.kind)
            if content_sid is None:
                raise NeedsTemplate("needs_template")
            variables = {"1": reply.template.heading, "2": reply.template.text[:1024]}
            return [
                {
                    **sender,
                    "content_sid": content_sid,
                    "content_variables": json.dumps(variables, ensure_ascii=False),
                }
            ]
        media_url = None
        body = text_with_options(reply)
        if reply.attachment is not None:
            url = await self._media_url(reply.attachment)
            if url is not None:
                media_url = [url]
            else:
                body = f"{body}\n📎 {reply.attachment.filename}".strip()
        return [
            {**sender, "body": part, "media_url": None if index else media_url}
            for index, part in enumerate(split_whatsapp(body))
        ]

    async def _sms_parts(self, address: Address, reply: Reply) -> list[dict[str, Any]]:
        url = await self._media_url(reply.attachment) if reply.attachment is not None else None
        settings = self.settings
        return [
            {"to": address.chat_id, "body": part, **self._sms_sender()}
            for part in sms_messages(
                reply,
                file_url=url,
                transliterate=settings.sms_transliterate,
                max_segments=settings.sms_max_segments,
            )
        ]

    async def _send(self, parts: list[dict[str, Any]], *, retrying: bool) -> str | None:
        """Create the messages in order; the platform's id of the last one.

        Once one has gone, the rest are tried again here even for a broadcast: the
        dispatcher, trying the whole again, would send the first ones twice."""
        last = None
        for index, fields in enumerate(parts):
            if retrying or index:
                last = await self._create_retrying(fields)
            else:
                last = await self._create(**fields)
        return last

    async def _create_retrying(self, fields: dict[str, Any]) -> str:
        """One message of a reply, tried again after a server error, a timeout or a rate
        limit; a refusal that would hold again is not retried. The parts before it are not
        sent again."""
        return await reply_with_retries(
            lambda: self._create(**fields),
            first_wait=self.settings.reply_retry_seconds,
            platform="Twilio",
        )

    def _sms_sender(self) -> dict[str, str]:
        sender = self.settings.twilio_sms_from
        assert sender is not None
        if sender.startswith("MG"):
            return {"messaging_service_sid": sender}
        return {"from_": sender}

    async def _within_window(self, phone: str) -> bool:
        from models.residents import find_identity

        async with self.engine.sessionmaker() as session:
            identity = await find_identity(session, WHATSAPP, phone)
        last = identity.last_inbound_at if identity is not None else None
        return last is not None and utcnow() - last < WHATSAPP_WINDOW

    async def _media_url(self, attachment: Attachment) -> str | None:
        """A URL Twilio can fetch the file from; None for a file only another platform has."""
        if not attachment.content:
            return None
        async with self.engine.sessionmaker() as session, session.begin():
            media = await store_media(
                session,
                filename=attachment.filename,
                mime_type=attachment.mime_type,
                content=attachment.content,
            )
        return media_link(self.public_base_url, media.token)

    async def _create(self, **fields: object) -> str:
        """One message through the twilio client; refusals as the dispatcher's errors."""
        fields["status_callback"] = f"{self.public_base_url}/twilio/status"
        try:
            message = await self.client.messages.create_async(**fields)  # type: ignore[arg-type]
        except TwilioRestException as error:
            raise _delivery_error(error) from None
        except (TimeoutError, aiohttp.ClientError) as error:
            logger.info("Twilio did not answer: %s", failure_summary(error))
            raise TemporaryFailure(type(error).__name__[:60]) from None
        return str(message.sid)


def _location(form: Mapping[str, str]) -> tuple[float, float] | None:
    """A location shared on WhatsApp: Twilio sends it as Latitude and Longitude."""
    try:
        latitude, longitude = float(form["Latitude"]), float(form["Longitude"])
    except (KeyError, ValueError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def _delivery_error(error: TwilioRestException) -> Exception:
    code = error.code
    if error.status == 429 or code == TOO_MANY_REQUESTS:
        asked = _retry_after.get()
        return RateLimited(asked if asked is not None else 1.0)
    if code == UNSUBSCRIBED:
        return Blocked("unsubscribed")
    if code == OUTSIDE_WINDOW:
        return NeedsTemplate("needs_template")
    if error.status >= 500:
        return TemporaryFailure(f"twilio:{error.status}")
    return PermanentFailure(f"twilio:{code or error.status}")


def _seconds(value: str | None) -> float | None:
    """A Retry-After as seconds; None when there is none, or it is no number of seconds."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < 86400 else None
