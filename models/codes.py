"""Codes people type: a support code on SMS, a role code from a letter or a phone call.

Short, read the same in upper and lower case, and without characters that look alike in
print or handwriting (0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B, 6/G, U/V), so that an elderly resident
copying one from paper or dictating it over the phone gets it right the first time."""

from __future__ import annotations

import re
import secrets

ALPHABET = "ACEFHJKMNPRTWXY3479"
# A code always holds a digit, so that no ordinary word typed after a keyword looks like one.
DIGITS = "3479"


def new_code(length: int) -> str:
    """A random code of `length` characters from ALPHABET with at least one digit."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(length - 1))
    at = secrets.randbelow(length)
    return code[:at] + secrets.choice(DIGITS) + code[at:]


def pattern(length: int) -> str:
    """A regular expression a typed code of `length` must match (any case, any alphabet
    character, so that an old code still reads)."""
    return rf"(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{{{length}}}"


def normal(typed: str) -> str:
    """A typed code as stored: upper case, without spaces or hyphens the person added."""
    return re.sub(r"[\s\-]", "", typed).upper()
