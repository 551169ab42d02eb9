"""The staff console's signatures: the session cookie, CSRF tokens, Telegram's init data."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

# Telegram's init data older than this is refused: it is made when the Mini App opens.
INIT_DATA_MAX_AGE_SECONDS = 3600


class Signer:
    """Signs values with the console's key (CONSOLE_SECRET_KEY, or a key made at start)."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def _mac(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()

    def sign_cookie(self, token: str) -> str:
        return f"{token}.{self._mac('session', token)}"

    def unsign_cookie(self, cookie: str) -> str | None:
        token, _, mac = cookie.rpartition(".")
        if not token or not hmac.compare_digest(mac, self._mac("session", token)):
            return None
        return token

    def csrf_token(self, session_token: str) -> str:
        """The token every form of one session carries; bound to that session."""
        return self._mac("csrf", session_token)

    def csrf_valid(self, session_token: str, given: str) -> bool:
        return bool(given) and hmac.compare_digest(given, self.csrf_token(session_token))


@dataclass(frozen=True)
class TelegramUser:
    id: int
    language_code: str | None


def check_init_data(
    init_data: str, *, bot_token: str, now: float | None = None
) -> TelegramUser | None:
    """The Telegram user of a Mini App's init data when Telegram signed it, else None.

    Telegram's rule: the secret key is HMAC-SHA256 of the bot token with the key
    "WebAppData"; the hash is HMAC-SHA256 of the sorted `key=value` lines (without `hash`)."""
    try:
        fields = dict(parse_qsl(init_data, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return None
    given = fields.pop("hash", "")
    if not given or not hmac.compare_digest(given, _init_data_hash(fields, bot_token)):
        return None
    try:
        signed_at = int(fields.get("auth_date", ""))
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, TypeError, KeyError):
        return None
    if abs((now if now is not None else time.time()) - signed_at) > INIT_DATA_MAX_AGE_SECONDS:
        return None
    language = user.get("language_code")
    return TelegramUser(user_id, language if isinstance(language, str) else None)


def sign_init_data(fields: dict[str, str], *, bot_token: str) -> str:
    """Init data as Telegram signs it (for tests and a local trial of the Mini App page)."""
    return urlencode(dict(fields, hash=_init_data_hash(fields, bot_token)))


def _init_data_hash(fields: dict[str, str], bot_token: str) -> str:
    check_string = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
