"""Quiet hours: the one rule of when a message to residents goes, for sending and for screens.

What the council sends (messages, announcements, survey and poll invitations, reminders,
digests) waits for the end of the quiet hours, also when they begin halfway through; an
urgent message goes at once. So does a personal notice answering what someone just did (an
answer to an idea, a request to consent): it is stored as urgent. Every screen that says
when something goes asks `goes_at`, and the dispatcher holds back exactly what it says.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.i18n import Translator
from bot.settings import Settings


def in_quiet_hours(settings: Settings, moment: datetime) -> bool:
    period = settings.quiet_period
    if period is None:
        return False
    start, end = period
    local = moment.astimezone(settings.tz).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(settings: Settings, moment: datetime) -> datetime:
    """When the quiet hours that `moment` falls in are over (UTC)."""
    period = settings.quiet_period
    assert period is not None
    local = moment.astimezone(settings.tz)
    end = local.replace(hour=period[1].hour, minute=period[1].minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(moment.tzinfo)


def held(settings: Settings, *, urgent: bool, moment: datetime) -> bool:
    """Whether a message that would go at `moment` must wait for the quiet hours to end."""
    return not urgent and in_quiet_hours(settings, moment)


def goes_at(settings: Settings, *, due_at: datetime, urgent: bool, now: datetime) -> datetime:
    """When a message due at `due_at` starts going: at once, at its time, or when the quiet
    hours it falls in are over."""
    start = max(due_at, now)
    if held(settings, urgent=urgent, moment=start):
        return quiet_hours_end(settings, start)
    return start


def when_it_goes(
    t: Translator, settings: Settings, *, due_at: datetime, urgent: bool, now: datetime
) -> str:
    """The sentence that tells a sender when their message goes."""
    moment = goes_at(settings, due_at=due_at, urgent=urgent, now=now)
    if moment <= now:
        return t._("It goes now.")
    if held(settings, urgent=urgent, moment=max(due_at, now)):
        return t._("It goes on {time}, when the quiet hours are over.", time=t.datetime(moment))
    return t._("It goes on {time}.", time=t.datetime(moment))
