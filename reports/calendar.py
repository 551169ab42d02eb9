"""A meeting as a calendar file (.ics) that phones and mail programs add to their calendar,
on Riga's clock (TZID Europe/Riga, with its time-zone rules in the file)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from models.meetings import Meeting

PRODUCT = "-//Padome//Meetings//LV"


def meeting_ics(
    meeting: Meeting,
    *,
    timezone: ZoneInfo,
    description: str,
    location: str,
    now: datetime,
    with_link: bool,
) -> bytes:
    """One event: the meeting's title, start and end in `timezone`, where it is held and
    its agenda; the video link only when `with_link`."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@padome")
    event.add("dtstamp", now)
    event.add("summary", meeting.title)
    event.add("dtstart", meeting.starts_at.astimezone(timezone))
    event.add("dtend", meeting.ends_at.astimezone(timezone))
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    if with_link and meeting.video_url:
        event.add("url", meeting.video_url)
    if meeting.status == "cancelled":
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def ics_name(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}.ics"
