"""What an SMS costs and how it is cut: segments, plain-Latin transliteration, splitting.

An SMS written only in the GSM 03.38 alphabet takes 160 characters a segment (153 in a long
message); one letter outside it (ā, č, ж) makes the whole message UCS-2: 70 a segment (67).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from anyascii import anyascii

_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    """How an SMS text is billed: its encoding, the number of segments, characters used."""

    encoding: str  # "GSM-7" or "UCS-2"
    count: int
    length: int


def sms_segments(text: str) -> Segments:
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text):
        septets = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        count = 1 if septets <= 160 else math.ceil(septets / 153)
        return Segments("GSM-7", count, septets)
    units = len(text.encode("utf-16-le")) // 2
    count = 1 if units <= 70 else math.ceil(units / 67)
    return Segments("UCS-2", count, units)


def sms_text(text: str, *, transliterate: bool) -> str:
    """The text as it goes by SMS: in plain Latin letters when the setting asks for it."""
    return anyascii(text) if transliterate else text


def split_sms(text: str, *, max_segments: int) -> list[str]:
    """Cut a text into messages of at most `max_segments` segments each, between words."""
    if sms_segments(text).count <= max_segments:
        return [text]
    parts: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if sms_segments(candidate).count <= max_segments:
            current = candidate
            continue
        if current:
            parts.append(current)
        # A single word longer than a message (a long link) is cut where it must be.
        while sms_segments(word).count > max_segments:
            cut = len(word)
            while sms_segments(word[:cut]).count > max_segments:
                cut -= 1
            parts.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        parts.append(current)
    return parts
