"""What people type and what buttons carry, read in one way everywhere: numbers, ids, times.

Python's own readers are too generous for this: `"²".isdigit()` is true and `int()` then
fails; `int()` reads any number of digits, which no database column holds; a wall-clock
time in Europe/Riga may not exist (spring forward) or happen twice (autumn back).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

# Ids are INTEGER columns: a signed 32-bit number on PostgreSQL.
MAX_ID = 2**31 - 1
# Broadcasts, nomination rounds and surveys are planned at most this far ahead.
HORIZON = timedelta(days=2 * 365)

_NUMBER = re.compile(r"[0-9]{1,9}")
_ID = re.compile(r"[0-9]{1,10}")
_KEPT_CONTROLS = {"\n", "\t"}
# Letters that show as nothing (Hangul fillers, the blank Braille pattern).
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def clean_text(text: str) -> str:
    """The text without control characters other than newline and tab (a NUL, an escape),
    which some databases refuse and no person means to send; a text that shows nothing
    (zero-width spaces, say) is no text, so every flow asks for it again."""
    if not text.isprintable():
        text = "".join(
            ch
            for ch in text
            if ch in _KEPT_CONTROLS or unicodedata.category(ch) not in ("Cc", "Cs")
        )
    return "" if is_blank(text) else text


def is_blank(text: str) -> bool:
    """Whether the text shows nothing: only spaces, format marks (zero-width space) and the like."""
    return all(
        ch.isspace() or ch in _BLANK_LETTERS or unicodedata.category(ch)[0] in ("C", "Z", "M")
        for ch in text
    )


def parse_number(text: str | None, *, low: int, high: int) -> int | None:
    """A typed whole number from `low` to `high`: ASCII digits, maybe followed by "." or ")"
    as when choosing from a numbered list; None for anything else."""
    if text is None:
        return None
    bare = text.strip()
    if bare[-1:] in (".", ")"):
        bare = bare[:-1].rstrip()
    if not _NUMBER.fullmatch(bare):
        return None
    number = int(bare)
    return number if low <= number <= high else None


def parse_id(value: str | int | None) -> int | None:
    """A record's id as a button or a stored flow carries it; None unless it is ASCII
    digits that fit the column."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= MAX_ID else None
    if not isinstance(value, str) or not _ID.fullmatch(value):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def forged_number(value: str) -> bool:
    """Whether a button's part claims to be a number no button of ours carries: digits of
    another script (፩, ²) or more than an id holds."""
    return value.isdigit() and parse_id(value) is None


# -------------------------------------------------------------------------- times

TIME_FORMAT = "%d.%m.%Y %H:%M"
_TIME = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2})[:.](\d{2})"
    r"(?:\s*(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2}))?",
    re.ASCII,
)
_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", re.ASCII)


class TimeError(ValueError):
    """A typed time that cannot be used; the subclasses say why."""


class TimeNotUnderstood(TimeError):
    def __init__(self) -> None:
        super().__init__("write the date and time like 01.12.2026 18:00")


class NoSuchDate(TimeError):
    """Written the right way, but no calendar has it (31.02, 25:00)."""

    def __init__(self, written: str) -> None:
        super().__init__(f"there is no {written}")
        self.written = written


class NonexistentTime(TimeError):
    """The clocks jump over this time (spring forward): it never shows in Riga."""

    def __init__(self, wall: datetime) -> None:
        super().__init__(
            f"{wall.strftime(TIME_FORMAT)} does not exist: the clocks go forward an hour that night"
        )
        self.wall = wall


class AmbiguousTime(TimeError):
    """The clocks go back over this time (autumn): it happens twice; `choices` are the
    earlier (summer time) and the later (winter time) moment."""

    def __init__(self, wall: datetime, earlier: datetime, later: datetime) -> None:
        typed = wall.strftime(TIME_FORMAT)
        super().__init__(
            f"{typed} happens twice as the clocks go back an hour: write "
            f'"{typed} {_offset(earlier)}" for the first (summer time) or '
            f'"{typed} {_offset(later)}" for the second (winter time)'
        )
        self.wall = wall
        self.choices = (earlier, later)


class WrongOffset(TimeError):
    def __init__(self, wall: datetime) -> None:
        super().__init__(f"that offset is not the one in use at {wall.strftime(TIME_FORMAT)}")


class TooFar(TimeError):
    """Further ahead than anything is planned; `limit` is the last moment accepted."""

    def __init__(self, limit: datetime) -> None:
        super().__init__("that is too far ahead: at most two years from now")
        self.limit = limit


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_day(text: str) -> date:
    """`dd.mm.yyyy`, in ASCII digits."""
    match = _DAY.fullmatch(text.strip())
    if match is None:
        raise ValueError("write the day like 01.12.2026")
    day, month, year = (int(part) for part in match.groups())
    return date(year, month, day)


def parse_local_time(text: str, tz: ZoneInfo, *, fold: int | None = None) -> datetime:
    """`dd.mm.yyyy hh:mm` (or `hh.mm`) on the clock of `tz`, as an aware datetime in UTC
    (a Riga time in the hour that happens twice would not compare equal to itself in UTC).

    A time the clocks skip raises NonexistentTime; one they pass twice raises AmbiguousTime
    unless `fold` says which (0 the earlier, 1 the later) or the text ends with the offset
    in use (`+03:00`).
    """
    match = _TIME.fullmatch(" ".join(text.split()))
    if match is None:
        raise TimeNotUnderstood
    day, month, year, hour, minute = (int(part) for part in match.groups()[:5])
    try:
        wall = datetime(year, month, day, hour, minute)
    except ValueError:
        raise NoSuchDate(f"{day:02}.{month:02}.{year} {hour:02}:{minute:02}") from None
    sign, offset_hours, offset_minutes = match.groups()[5:]
    if sign is not None:
        offset = timedelta(hours=int(offset_hours), minutes=int(offset_minutes))
        if offset >= timedelta(hours=24):
            raise TimeNotUnderstood
        given = wall.replace(tzinfo=timezone(-offset if sign == "-" else offset))
        try:
            local = given.astimezone(tz)
        except OverflowError:
            raise TimeNotUnderstood from None
        if local.replace(tzinfo=None) != wall:
            raise WrongOffset(wall)
        return local.astimezone(UTC)
    earlier, later = (wall.replace(tzinfo=tz, fold=which) for which in (0, 1))
    try:
        real = [moment for moment in (earlier, later) if _round_trips(moment, wall)]
    except OverflowError:
        raise TimeNotUnderstood from None
    if not real:
        raise NonexistentTime(wall)
    if earlier.utcoffset() == later.utcoffset():
        return earlier.astimezone(UTC)
    if fold is None:
        raise AmbiguousTime(wall, earlier, later)
    return (later if fold else earlier).astimezone(UTC)


def _round_trips(moment: datetime, wall: datetime) -> bool:
    back = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return back.replace(tzinfo=None) == wall


def horizon_limit(now: datetime) -> datetime:
    """The latest moment a plan may be set for."""
    return now + HORIZON


def check_horizon(moment: datetime, now: datetime) -> datetime:
    """The moment, unless it is further ahead than HORIZON (TooFar)."""
    limit = horizon_limit(now)
    if moment > limit:
        raise TooFar(limit)
    return moment
