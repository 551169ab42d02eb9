"""A date and time typed into a console form, read with the chat's rules and words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.dialog.context import time_problem, twice_label
from bot.i18n import Translator
from bot.parsing import AmbiguousTime, TimeError, check_horizon, parse_local_time


@dataclass
class TypedTime:
    """A typed time: the moment, or why not; when the clocks make it happen twice, the two
    moments to choose from (index 0 the earlier), as the chat's two buttons offer them."""

    moment: datetime | None = None
    problem: str | None = None
    twice: list[tuple[int, str]] = field(default_factory=list)


def read_typed_time(
    t: Translator, text: str, *, fold: int | None, timezone: ZoneInfo, now: datetime, example: str
) -> TypedTime:
    """`dd.mm.yyyy hh:mm` in the municipality's time zone, at most two years ahead."""
    try:
        return TypedTime(check_horizon(parse_local_time(text, timezone, fold=fold), now))
    except AmbiguousTime as twice:
        choices = [(index, twice_label(t, moment)) for index, moment in enumerate(twice.choices)]
        return TypedTime(problem=time_problem(t, twice, example=example), twice=choices)
    except TimeError as error:
        return TypedTime(problem=time_problem(t, error, example=example))


def fold_of(value: str | None) -> int | None:
    """The posted choice between the two moments a time names, when it is one."""
    return {"0": 0, "1": 1}.get(value or "")
