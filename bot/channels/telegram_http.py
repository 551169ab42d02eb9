"""python-telegram-bot's requests sent with aiohttp instead of its default, httpx.

python-telegram-bot leaves the HTTP client open (`telegram.request.BaseRequest`). On this
bot's traffic, many small requests, aiohttp's client takes a third to two thirds of the
processor time httpx takes per request (the figures are in the README), and aiohttp is also
used by the Twilio client. `TELEGRAM_HTTP_CLIENT=httpx` goes back to the library's default.
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class NotSent(NetworkError):
    """No connection could be had for the request (the server refused it), so nothing of it
    left: it may be tried again without the risk of a message twice."""


class NoConnectionInTime(TimedOut, NotSent):
    """No free connection of the pool, or connecting took too long: a timeout before
    anything left."""


def _seconds(value: object, default: float | None) -> float | None:
    """A timeout python-telegram-bot passes: its "not given" marker means our default."""
    if isinstance(value, int | float) or value is None:
        return value
    return default


class AiohttpRequest(BaseRequest):
    """Bot API requests over one aiohttp session with a pool of keep-alive connections.

    Timeouts map to aiohttp's as follows: connecting to `sock_connect`, waiting for a free
    connection of the pool to `connect` (aiohttp counts that wait in it), reading to
    `sock_read`. aiohttp has no write timeout; the whole request is bounded by the sum of
    all four instead, so an upload to a server that stops reading still ends.
    """

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_read_timeout",
        "_session",
        "_write_timeout",
    )

    def __init__(
        self,
        *,
        pool_size: int,
        connect_timeout: float = 5.0,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
        pool_timeout: float = 1.0,
        media_write_timeout: float = 20.0,
    ) -> None:
        self._pool_size = pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(
        self,
        read: object,
        write: object,
        connect: object,
        pool: object,
        *,
        files: bool,
    ) -> aiohttp.ClientTimeout:
        read_s = _seconds(read, self._read_timeout)
        write_s = _seconds(write, self._media_write_timeout if files else self._write_timeout)
        connect_s = _seconds(connect, self._connect_timeout)
        pool_s = _seconds(pool, self._pool_timeout)
        parts = (read_s, write_s, connect_s, pool_s)
        total = None if any(part is None for part in parts) else sum(parts)  # type: ignore[arg-type]
        return aiohttp.ClientTimeout(
            total=total, connect=pool_s, sock_connect=connect_s, sock_read=read_s
        )

    @staticmethod
    def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
        if request_data is None:
            return None
        if not request_data.contains_files:
            # Sent form-encoded, as python-telegram-bot does with httpx.
            return request_data.json_parameters
        # File names as UTF-8, as browsers and httpx send them; quoting would change them.
        form = aiohttp.FormData(quote_fields=False)
        for name, value in request_data.json_parameters.items():
            form.add_field(name, value)
        for name, (filename, content, mime_type) in request_data.multipart_data.items():
            form.add_field(name, content, filename=filename, content_type=mime_type)
        return form

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("the Telegram HTTP client is not initialised")
        timeout = self._timeout(
            read_timeout,
            write_timeout,
            connect_timeout,
            pool_timeout,
            files=bool(request_data and request_data.contains_files),
        )
        try:
            async with self._session.request(
                method, url, data=self._body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except aiohttp.ConnectionTimeoutError as error:
            raise NoConnectionInTime("no free connection, or connecting took too long") from error
        except aiohttp.ClientConnectorError as error:
            raise NotSent(f"aiohttp: {type(error).__name__}") from error
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # The class name only: the message may carry the URL, which holds the token.
            raise NetworkError(f"aiohttp: {type(error).__name__}") from error
