"""SMS segments as the network counts them (3GPP TS 23.038), and how texts are cut for
SMS and for WhatsApp's body limit: tables of cases."""

from __future__ import annotations

import pytest

from bot.channels.sms_text import (
    WHATSAPP_BODY_MAX,
    Segments,
    sms_segments,
    sms_text,
    split_sms,
    split_whatsapp,
    utf16_length,
)

GRIN = "😀"  # outside the Basic Multilingual Plane: two UTF-16 code units, a surrogate pair


@pytest.mark.parametrize(
    ("text", "encoding", "count", "length"),
    [
        ("", "GSM-7", 1, 0),
        ("a" * 160, "GSM-7", 1, 160),
        ("a" * 161, "GSM-7", 2, 161),
        ("a" * 306, "GSM-7", 2, 306),  # 153 × 2
        ("a" * 307, "GSM-7", 3, 307),
        ("a" * 459, "GSM-7", 3, 459),  # 153 × 3
        # an escape character takes two septets, also in a single segment
        ("€" * 80, "GSM-7", 1, 160),
        ("€" + "a" * 159, "GSM-7", 2, 161),
        ("a" * 158 + "[]", "GSM-7", 2, 162),
        # ... and is never split across segments: the first segment ends one septet short
        ("x" * 152 + "€" + "x" * 152, "GSM-7", 3, 306),
        ("x" * 151 + "€" + "x" * 153, "GSM-7", 2, 306),  # the € ends the first segment
        ("x" * 152 + "x" + "€" + "x" * 151, "GSM-7", 2, 306),  # the € opens the second
        ("{" * 153, "GSM-7", 3, 306),  # 76 escapes a segment, not 76.5
        ("^~|\\" + "a" * 152, "GSM-7", 1, 160),
        ("^~|\\" + "a" * 153, "GSM-7", 2, 161),
        # the GSM alphabet's own letters are one septet
        ("Üné ñ ß Ø Å É à @ £ ¥ § ¿ ¡ Δ Ω" + "a" * 100, "GSM-7", 1, 131),
        # one letter outside the alphabet makes the whole message UCS-2
        ("ā" * 70, "UCS-2", 1, 70),
        ("ā" * 71, "UCS-2", 2, 71),
        ("a" * 69 + "ā", "UCS-2", 1, 70),
        ("ā" * 134, "UCS-2", 2, 134),  # 67 × 2
        ("ā" * 135, "UCS-2", 3, 135),
        ("ā" * 201, "UCS-2", 3, 201),  # 67 × 3
        # a surrogate pair counts two code units and is never split across segments
        (GRIN * 35, "UCS-2", 1, 70),
        (GRIN + "ā" * 69, "UCS-2", 2, 71),
        ("a" * 66 + GRIN + "a" * 66, "UCS-2", 3, 134),
        ("a" * 65 + GRIN + "a" * 67, "UCS-2", 2, 134),  # the emoji ends the first segment
        ("a" * 67 + GRIN + "a" * 65, "UCS-2", 2, 134),  # the emoji opens the second
        (GRIN * 67, "UCS-2", 3, 134),  # 33 emoji a segment, not 33.5
        # the escape characters of GSM are one unit in UCS-2
        ("€" * 69 + "ā", "UCS-2", 1, 70),
        ("Ж" * 40 + "€" * 30, "UCS-2", 1, 70),
    ],
)
def test_segments(text: str, encoding: str, count: int, length: int) -> None:
    assert sms_segments(text) == Segments(encoding, count, length)


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Ūdens nebūs rīt", "Udens nebus rit"),
        ("Жители Алуксне", "Zhiteli Aluksne"),
        ("Cena 5 €", "Cena 5 EUR"),
        ("«Atpakaļ» — ‘labi’", "<<Atpakal>> - 'labi'"),
        # what plain ASCII holds outside the GSM alphabet becomes its nearest GSM letter
        ("`kods`\tun tabulācija", "'kods' un tabulacija"),
        ("zvans\x07\x00 šodien", "zvans sodien"),
        ("rinda\r\nnākamā", "rinda\r\nnakama"),
    ],
)
def test_plain_latin_is_gsm_7(text: str, plain: str) -> None:
    written = sms_text(text, transliterate=True)
    assert written == plain
    assert sms_segments(written).encoding == "GSM-7"


def test_without_transliteration_the_text_is_kept() -> None:
    text = "Ūdens nebūs rīt `9:00` 😀"
    assert sms_text(text, transliterate=False) == text


@pytest.mark.parametrize(
    ("text", "max_segments"),
    [
        (" ".join(["Sapulce"] * 100), 1),
        (" ".join(["Sapulce"] * 100), 2),
        (" ".join(["Sapulcē"] * 100), 1),
        ("x" * 152 + "€" + "x" * 152, 2),  # one word: cut where it must be, not in the €
        ("a" * 66 + GRIN + "a" * 66, 2),  # not inside the emoji
        ("€" * 500, 1),
        (GRIN * 200, 3),
        ("Sveiki! " + "€ " * 200, 2),
        ("\n".join(f"{n}) Alsviķu pagasts" for n in range(1, 40)), 1),
        ("a" * 1530, 10),  # GSM: fits as it is
    ],
)
def test_split_sms_keeps_the_segment_limit(text: str, max_segments: int) -> None:
    parts = split_sms(text, max_segments=max_segments)
    assert all(sms_segments(part).count <= max_segments for part in parts)
    assert all(part for part in parts)
    # nothing is lost but the blanks at the cuts
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )


def test_split_sms_the_issues_cases() -> None:
    # two segments by a count of characters, three by the network's: two messages
    for text in ("x" * 152 + "€" + "x" * 152, "a" * 66 + GRIN + "a" * 66):
        [first, second] = split_sms(text, max_segments=2)
        assert first + second == text
        assert sms_segments(first).count <= 2 and sms_segments(second).count <= 2
        assert split_sms(text, max_segments=3) == [text]


def test_split_sms_prefers_lines_then_words() -> None:
    listing = "\n".join(f"{n}) Alsviku pagasts" for n in range(1, 16))
    parts = split_sms(listing, max_segments=1)
    assert len(parts) > 1
    for part in parts:
        assert all(line.split(") ")[1] == "Alsviku pagasts" for line in part.split("\n"))
    words = " ".join(["Sapulce"] * 100)
    parts = split_sms(words, max_segments=1)
    assert " ".join(parts) == words


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("a" * 1600, 1),
        ("a" * 1601, 2),
        ("ā" * 1600, 1),  # a Latvian letter is one UTF-16 unit
        (GRIN * 800, 1),
        (GRIN * 801, 2),
        ("a" * 1599 + GRIN, 2),  # 1,600 code points, 1,601 units
        ("a" * 1000 + GRIN * 600, 2),  # 1,600 code points with emoji: 2,200 units
        (GRIN * 1600, 2),
        ("Sveiki 😀 " * 400, 3),
        ("\n".join(["Rindiņa ar 😀 un vārdiem."] * 200), 4),
    ],
)
def test_whatsapp_pieces_fit_twilios_count(text: str, pieces: int) -> None:
    parts = split_whatsapp(text)
    assert len(parts) == pieces
    assert all(utf16_length(part) <= WHATSAPP_BODY_MAX for part in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )


def test_whatsapp_cuts_between_lines_then_words() -> None:
    lines = [f"{n}) Rindiņa ar 😀 un vārdiem." for n in range(1, 200)]
    for part in split_whatsapp("\n".join(lines)):
        assert all(line in lines for line in part.split("\n"))
    words = " ".join(["vārds😀"] * 400)
    assert " ".join(split_whatsapp(words)) == words
    assert utf16_length(GRIN) == 2 and utf16_length("ā€") == 2
