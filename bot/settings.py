"""Configuration: one pydantic-settings class read from the environment and `.env`."""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SUPPORTED_LANGUAGES = ("lv", "ru", "en")
# An account id after its messenger's prefix (tg:123, console:anna).
_IDENTITY_RE = re.compile(r"^[^\s:]+$")
_WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_QUIET_HOURS_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


class Settings(BaseSettings):
    """Every setting of the bot; `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = "sqlite+aiosqlite:///padome.db"
    # The municipality's territory file (YAML), read when the database is first set up;
    # unset: Alūksne's, which ships with Padome. Later changes: `padome territory import`.
    territory_file: Path | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    timezone: str = "Europe/Riga"
    default_language: Literal["lv", "ru", "en"] = "lv"
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org"
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_webhook_secret: SecretStr | None = None
    telegram_admin_chat_id: int | None = None
    telegram_concurrent_updates: int = Field(default=16, ge=1, le=256)
    telegram_http_client: Literal["aiohttp", "httpx"] = "aiohttp"
    telegram_bot_username: str | None = None

    # Broadcasts: pacing per channel, quiet hours, retries.
    # Above Telegram's 30 only for a local Bot API server or a benchmark.
    telegram_messages_per_second: float = Field(default=30, gt=0, le=100_000)
    telegram_private_chat_per_second: float = Field(default=1, gt=0, le=100_000)
    telegram_group_per_minute: float = Field(default=20, gt=0, le=1000)
    quiet_hours: str = "21:00-08:00"
    broadcast_max_attempts: int = Field(default=5, ge=1, le=20)
    broadcast_retry_seconds: float = Field(default=5, ge=0, le=3600)
    broadcast_claim_lease_seconds: int = Field(default=120, ge=1, le=86400)
    broadcast_parallel_sends: int = Field(default=8, ge=1, le=100)

    # WhatsApp and SMS through Twilio.
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_api_base_url: str = "https://api.twilio.com"
    twilio_whatsapp_from: str | None = None
    twilio_sms_from: str | None = None
    whatsapp_messages_per_second: float = Field(default=20, gt=0, le=1000)
    sms_messages_per_second: float = Field(default=1, gt=0, le=1000)
    # Approved WhatsApp Content templates (ContentSid, HX...) used outside the 24-hour window,
    # one per kind of message; their variables are {{1}} the heading and {{2}} the text.
    whatsapp_template_council: str | None = None
    whatsapp_template_announcement: str | None = None
    whatsapp_template_notice: str | None = None
    sms_price_per_segment: float = Field(default=0.07, ge=0, le=10)
    sms_currency: str = "EUR"
    sms_transliterate: bool = False
    sms_max_segments: int = Field(default=6, ge=1, le=10)
    # A reply Twilio did not take (5xx, 429, timeout) is tried again after this many
    # seconds, then twice and four times as long.
    reply_retry_seconds: float = Field(default=2, ge=0, le=10)
    phone_region: str = "LV"
    # Residents' ideas: the weekly digest to representatives and the chair goes on this ISO
    # weekday (1 = Monday) from this hour on (local time), once a week.
    ideas_digest_weekday: int = Field(default=1, ge=1, le=7)
    ideas_digest_hour: int = Field(default=9, ge=0, le=23)
    # Meetings: where video rooms are made, the reminders before the start, the quorum of a
    # session (None: more than half of the council's members).
    meeting_video_base_url: str = "https://meet.jit.si"
    meeting_first_reminder_hours: float = Field(default=24, gt=0, le=24 * 14)
    meeting_second_reminder_hours: float = Field(default=1, gt=0, le=24 * 14)
    meeting_quorum: int | None = Field(default=None, ge=1, le=1000)

    public_base_url: str | None = None
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    # Signs the staff console's session cookie; unset, a new key at each start (everyone
    # signs in again after a restart).
    console_secret_key: SecretStr | None = None

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("admins")
    @classmethod
    def _check_admins(cls, value: list[str]) -> list[str]:
        from bot.channels import messenger_by_prefix  # the adapters import the settings

        for item in value:
            prefix, _, external_id = item.partition(":")
            if messenger_by_prefix(prefix) is None or not _IDENTITY_RE.match(external_id):
                raise ValueError(
                    f"{item!r} is not an identity; write it as tg:<telegram id> or console:<name>"
                )
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _check_quiet_hours(cls, value: str) -> str:
        value = value.strip()
        if value.casefold() == "off":
            return ""
        if _QUIET_HOURS_RE.match(value) is None:
            raise ValueError("write it as HH:MM-HH:MM, e.g. 21:00-08:00, or off")
        return value

    @field_validator("territory_file")
    @classmethod
    def _check_territory_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no file {str(value)!r}; give the path of the territory file (YAML)")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///file.db or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("meeting_video_base_url")
    @classmethod
    def _check_video_base_url(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("must start with https://")
        return value.rstrip("/")

    @field_validator("telegram_api_base_url", "twilio_api_base_url", "public_base_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("twilio_whatsapp_from")
    @classmethod
    def _check_whatsapp_from(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not re.fullmatch(r"whatsapp:\+\d{6,15}", value):
            raise ValueError("write it as whatsapp: and the number, e.g. whatsapp:+37120000000")
        return value

    @field_validator("twilio_sms_from")
    @classmethod
    def _check_sms_from(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not re.fullmatch(r"\+\d{6,15}|MG[0-9a-fA-F]{32}|[A-Za-z0-9 ]{1,11}", value):
            raise ValueError(
                "write a phone number (e.g. +37120000000), a Messaging Service SID (MG...) "
                "or an alphanumeric sender of at most 11 characters"
            )
        return value

    @model_validator(mode="after")
    def _check_twilio(self) -> Settings:
        if not self.twilio_enabled and not (self.twilio_whatsapp_from or self.twilio_sms_from):
            return self
        if not (self.twilio_account_sid and self.twilio_auth_token):
            raise ValueError("WhatsApp and SMS need TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if not (self.twilio_whatsapp_from or self.twilio_sms_from):
            raise ValueError(
                "TWILIO_ACCOUNT_SID is set: set TWILIO_WHATSAPP_FROM, TWILIO_SMS_FROM or both"
            )
        if self.public_base_url is None:
            raise ValueError(
                "WhatsApp and SMS need PUBLIC_BASE_URL: Twilio's webhooks are signed for it"
            )
        return self

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid)

    @property
    def phone_channels(self) -> list[str]:
        """The channels run through Twilio, whose accounts are phone numbers."""
        return [
            channel
            for channel, sender in (
                ("whatsapp", self.twilio_whatsapp_from),
                ("sms", self.twilio_sms_from),
            )
            if self.twilio_enabled and sender
        ]

    def whatsapp_template(self, kind: str) -> str | None:
        return {
            "council": self.whatsapp_template_council,
            "announcement": self.whatsapp_template_announcement,
            "notice": self.whatsapp_template_notice,
        }.get(kind)

    @model_validator(mode="after")
    def _check_webhook_mode(self) -> Settings:
        if self.telegram_mode == "webhook":
            if self.telegram_bot_token is None:
                raise ValueError("TELEGRAM_MODE=webhook needs TELEGRAM_BOT_TOKEN")
            if self.public_base_url is None or not self.public_base_url.startswith("https://"):
                raise ValueError(
                    "TELEGRAM_MODE=webhook needs PUBLIC_BASE_URL with https:// "
                    "(Telegram sends webhooks only over https)"
                )
            secret = self.telegram_webhook_secret
            if secret is None or not _WEBHOOK_SECRET_RE.match(secret.get_secret_value()):
                raise ValueError(
                    "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET: 1-256 characters "
                    "of A-Z, a-z, 0-9, _ and -"
                )
        return self

    @property
    def console_base_url(self) -> str | None:
        """Where the staff console is served: PUBLIC_BASE_URL over https, or plain http on
        this machine (to try it); None otherwise, as its cookie must not travel in clear."""
        url = self.public_base_url
        if url is None:
            return None
        if url.startswith("https://") or self.console_on_this_machine:
            return url
        return None

    @property
    def console_on_this_machine(self) -> bool:
        """PUBLIC_BASE_URL is plain http on this machine (a trial): no Secure cookie."""
        url = self.public_base_url or ""
        host = url.removeprefix("http://").split("/", 1)[0].rsplit(":", 1)[0]
        return url.startswith("http://") and host in ("localhost", "127.0.0.1", "[::1]")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def quiet_period(self) -> tuple[time, time] | None:
        """Quiet hours as (start, end) local times; None when there are none."""
        if not self.quiet_hours:
            return None
        start, end = (time.fromisoformat(part) for part in self.quiet_hours.split("-"))
        return (start, end) if start != end else None


def describe_validation_error(error: ValidationError) -> str:
    """Turn a settings validation error into lines a staff member can act on."""
    lines = ["The configuration is not valid:"]
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]).upper() or "settings"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"  {field}: {message}")
    lines.append("Fix the environment or the .env file (see .env.example) and start again.")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
