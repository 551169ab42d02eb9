"""Texts the nomination screens share: progress, a round's dates, refusals, the link to share."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import N_, Translator
from bot.settings import Settings
from handlers.onboarding import deep_link
from models.nominations import (
    NAME_MAX,
    REASON_MAX,
    Nomination,
    NominationRound,
    Refused,
    RoundStatus,
    Support,
)
from models.territory import Unit
from reports.nomination_papers import STATUS_LABELS

SUPPORT_LINK = "support"
# The word residents type on WhatsApp, SMS or anywhere, "ATBALSTS K7M2QP": each language's
# word is accepted from everyone, and a text names the reader's own.
SUPPORT_WORDS = {"lv": "ATBALSTS", "ru": "ПОДДЕРЖКА", "en": "SUPPORT"}


def support_word(t: Translator) -> str:
    """The word to type before a support code, in the reader's language."""
    return SUPPORT_WORDS.get(t.language, SUPPORT_WORDS["lv"])


PAPER_NOTE = N_(
    "Signatures and the vote stay on paper: the assistant only gathers nominations and "
    "support and prepares the form for signing."
)


def status_label(t: Translator, status: str) -> str:
    return t._(STATUS_LABELS[status])


def progress(t: Translator, count: int, needed: int) -> str:
    """ "7 of 10 supporters"; the plural form follows the number needed."""
    # TRANSLATORS: {count} supporters so far of {n} needed, e.g. "7 no 10 atbalstītājiem".
    return t.ngettext(
        "{count} of {n} supporter", "{count} of {n} supporters", needed, count=t.number(count)
    )


def round_line(
    t: Translator, item: NominationRound | None, now: datetime, place: Unit | None
) -> str:
    """Where the round of a unit stands, with its dates."""
    unit = t.place(place) if place is not None else ""
    if item is None:
        return t._("No nomination round has been announced for {unit} yet.", unit=unit)
    start, end = t.datetime(item.starts_at), t.datetime(item.ends_at)
    if item.is_open(now):
        return t._("Nominations for {unit} are open until {end}.", unit=unit, end=end)
    if item.status == RoundStatus.SCHEDULED.value and item.starts_at > now:
        return t._(
            "Nominations for {unit} open on {start} and close on {end}.",
            unit=unit,
            start=start,
            end=end,
        )
    return t._(
        "The nomination round for {unit} ran from {start} to {end} and is closed.",
        unit=unit,
        start=start,
        end=end,
    )


def refusal_text(
    t: Translator, refused: Refused, *, now: datetime, unit: Unit | None = None
) -> str:
    """What a resident is told when a rule says no."""
    details = refused.details
    nomination: Nomination | None = details.get("nomination")
    name = nomination.candidate_name if nomination is not None else ""
    reason = refused.reason
    if reason == "round_closed":
        item = details.get("round")
        place = nomination.unit if nomination is not None else unit
        return "\n".join(
            [
                round_line(t, item, now, place),
                t._("Nominating and supporting are possible only while the round is open."),
            ]
        )
    if reason == "no_consent":
        return t._(
            "{name} has not agreed to be a candidate yet. Support can be given once they agree.",
            name=name,
        )
    if reason == "not_collecting":
        return t._(
            "{name} is not collecting support: the nomination is {status}.",
            name=name,
            status=status_label(t, nomination.status) if nomination else "",
        )
    if reason == "other_unit":
        theirs = t.place(nomination.unit) if nomination is not None else ""
        yours = t.place(details["unit"]) if details.get("unit") is not None else "–"
        return t._(
            "You are registered in {yours}, and {name} stands in {theirs}. Only residents of "
            "{theirs} can support this candidate. If you live there, change your parish or "
            "town with /territory.",
            yours=yours,
            name=name,
            theirs=theirs,
        )
    if reason == "own_nomination":
        return t._("You cannot support your own nomination.")
    if reason == "already_supports":
        support: Support | None = details.get("support")
        who = support.nomination.candidate_name if support is not None else ""
        return t._("You already support {name}.", name=who)
    if reason == "supports_other":
        support = details["support"]
        return t._(
            "In this round each resident may support only one candidate, and you already "
            "support {name}. To support someone else, first withdraw that support.",
            name=support.nomination.candidate_name,
        )
    if reason == "already_nominated":
        return t._("{name} is already nominated in this round.", name=name)
    if reason == "reason_long":
        return t._(
            "That is too long: at most {limit} characters, please.", limit=t.number(REASON_MAX)
        )
    if reason in ("name_empty", "name_long"):
        return t._(
            "Please write a name and surname of at most {limit} characters.",
            limit=t.number(NAME_MAX),
        )
    if reason == "phone":
        return t._(
            "That does not look like a phone number. Write it like 26123456 or "
            "+371 26123456, or choose Skip."
        )
    if reason == "not_awaiting":
        return t._("This nomination has already been answered.")
    return t._("This nomination is no longer active.")


def share_text(t: Translator, settings: Settings, nomination: Nomination) -> str:
    """How residents can support the candidate, in words the candidate can pass on: the link
    for Telegram (when the bot's Telegram name is known) and the word and code anyone types."""
    item = nomination.round
    unit = t.place(nomination.unit)
    code = nomination.support_code
    lines = []
    if settings.telegram_bot_username:
        lines += [
            t._(
                "Residents of {unit} who use Telegram can support you by opening this link: {link}",
                unit=unit,
                link=deep_link(settings, SUPPORT_LINK, code),
            ),
            # TRANSLATORS: {word} is the reader's word to type: ATBALSTS, ПОДДЕРЖКА or SUPPORT.
            t._(
                "On WhatsApp or by SMS they write to the council's assistant: {word} {code}",
                word=support_word(t),
                code=code,
            ),
        ]
    else:
        lines.append(
            # TRANSLATORS: {word} is the reader's word to type: ATBALSTS, ПОДДЕРЖКА or SUPPORT.
            t._(
                "Residents of {unit} can support you by writing to the council's assistant: "
                "{word} {code}",
                unit=unit,
                word=support_word(t),
                code=code,
            )
        )
    lines.append(
        t.ngettext(
            "You need {n} supporter: residents of {unit} aged {age} or older.",
            "You need {n} supporters: residents of {unit} aged {age} or older.",
            item.supporters_needed,
            unit=unit,
            age=t.number(item.minimum_age),
        )
    )
    return "\n".join(lines)
