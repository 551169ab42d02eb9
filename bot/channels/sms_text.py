"""How a text goes through Twilio: SMS segments as the network counts them, plain-Latin
transliteration, and cutting a long text for SMS and for WhatsApp's body limit.

An SMS written only in the GSM 03.38 alphabet takes 160 septets a segment (153 in a long
message); one letter outside it (ā, č, ж) makes the whole message UCS-2: 70 UTF-16 code units
a segment (67). Per 3GPP TS 23.038 a character that takes two septets (an escape character
such as €) or two code units (a surrogate pair, such as an emoji) is never split across
segments, so a segment may end a unit short.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from anyascii import anyascii

from bot.channels import text_with_options
from bot.dialog.messages import Reply

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")
GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67
# Twilio refuses a message body longer than this many UTF-16 code units.
WHATSAPP_BODY_MAX = 1600
# Plain ASCII that the GSM alphabet lacks, as its nearest GSM letter; other control
# characters are dropped, so that a transliterated text never falls back to UCS-2.
_PLAIN_GSM = {ord("`"): "'", ord("\t"): " "}
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Segments:
    """How an SMS text is billed: its encoding, the number of segments, septets or code
    units used."""

    encoding: str  # "GSM-7" or "UCS-2"
    count: int
    length: int


def utf16_length(text: str) -> int:
    """The length Twilio counts: UTF-16 code units (an emoji is two)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def sms_segments(text: str) -> Segments:
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        encoding, single, part = "GSM-7", GSM_SINGLE, GSM_PART
        sizes = [2 if ch in _GSM_EXTENDED else 1 for ch in text]
    else:
        encoding, single, part = "UCS-2", UCS2_SINGLE, UCS2_PART
        sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    length = sum(sizes)
    if length <= single:
        return Segments(encoding, 1, length)
    count, room = 1, part
    for size in sizes:
        if size > room:
            count, room = count + 1, part
        room -= size
    return Segments(encoding, count, length)


def sms_text(text: str, *, transliterate: bool) -> str:
    """The text as it goes by SMS: in plain Latin letters of the GSM alphabet when the
    setting asks for it."""
    if not transliterate:
        return text
    return _CONTROL.sub("", anyascii(text).translate(_PLAIN_GSM))


def sms_messages(
    reply: Reply, *, file_url: str | None, transliterate: bool, max_segments: int
) -> list[str]:
    """The SMS messages one reply goes as: its text and numbered options, its file as a line
    with the file's link (`file_url`), cut to `max_segments` segments each."""
    body = text_with_options(reply)
    if reply.attachment is not None:
        line = f"📎 {reply.attachment.filename}" + (f": {file_url}" if file_url else "")
        body = f"{body}\n{line}".strip()
    return split_sms(sms_text(body, transliterate=transliterate), max_segments=max_segments)


def split_sms(text: str, *, max_segments: int) -> list[str]:
    """Cut a text into messages of at most `max_segments` segments each."""
    return split_text(text, fits=lambda part: sms_segments(part).count <= max_segments)


def split_whatsapp(text: str) -> list[str]:
    """Cut a text into WhatsApp messages Twilio accepts."""
    return split_text(text, fits=lambda part: utf16_length(part) <= WHATSAPP_BODY_MAX)


def split_text(text: str, *, fits: Callable[[str], bool]) -> list[str]:
    """Cut a text into pieces that each fit: between lines where a line ends in the second
    half of a piece, else between words; a word longer than a piece is cut where it must be,
    never inside a character. `fits` must hold for any single character, and for a text's
    beginning whenever it holds for the text."""
    parts: list[str] = []
    rest = text
    while not fits(rest):
        # The longest beginning that fits, by bisection: fitting only gets harder as a
        # text grows.
        low, high = 1, len(rest) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if fits(rest[:middle]):
                low = middle
            else:
                high = middle - 1
        cut = _cut_point(rest, low)
        part = rest[:cut].rstrip(" \r\n")
        if not part:
            part, cut = rest[:low], low
        parts.append(part)
        rest = rest[cut:].lstrip(" \r\n")
    if rest or not parts:
        parts.append(rest)
    return parts


def _cut_point(text: str, end: int) -> int:
    """Where to end a piece that may take up to `end` characters of `text`."""
    if text[end] == "\n":
        return end
    line = text.rfind("\n", 0, end)
    if line >= end // 2:
        return line
    if text[end] == " ":
        return end
    word = text.rfind(" ", 0, end)
    if word > 0:
        return word
    return line if line > 0 else end
