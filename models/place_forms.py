"""The Latvian case forms of a village's or neighbourhood's name, derived from its ending.

Only endings whose forms follow without exception are declined; for any other name no form
is given, and the texts use a construction that needs none. A wrong form would be worse.
"""

from __future__ import annotations

import re

# A name's words: letters only (a digit, a dot or a quote means the rules do not apply).
_WORD = re.compile(r"^[^\W\d_]+$")
# Earlier words that stay as they are when the last one is declined: genitives
# ("Alūksnes ezers", "Kalna Ziemeri"). Definite adjectives ("Lielā", "Vecais") agree with
# the noun and are not declined here, so such names get no forms.
_FIXED_WORD = re.compile(r"^[^\W\d_]+(u|as|es|a|us)$")
_VOWELS = set("aāeēiīoōuūy")
# 2nd declension (-is): only where the genitive keeps the consonant unchanged
# (Kolberģis → Kolberģa); others alternate (Jānis → Jāņa) or not (tētis → tēta), unsafely.
_SOFT = set("ģķļņrjčšž")


def _singular(word: str) -> dict[str, str] | None:
    """gen, dat, loc, acc of one word in the nominative singular."""
    if word.endswith("pils"):  # 6th declension: Daugavpils
        stem = word[:-1]
        return {"gen": word, "dat": stem + "ij", "loc": stem + "ī", "acc": stem + "i"}
    if word.endswith("is"):  # 2nd declension: Kolberģis
        stem = word[:-2]
        if len(stem) < 2 or stem[-1] not in _SOFT:
            return None
        return {"gen": stem + "a", "dat": stem + "im", "loc": stem + "ī", "acc": stem + "i"}
    if word.endswith("us"):  # 3rd declension
        stem = word[:-2]
        return {"gen": stem + "us", "dat": stem + "um", "loc": stem + "ū", "acc": stem + "u"}
    if word.endswith(("s", "š")):  # 1st declension: Māriņkalns
        stem = word[:-1]
        if len(stem) < 2 or stem[-1] in _VOWELS or stem[-1] in "sš":
            return None
        return {"gen": stem + "a", "dat": stem + "am", "loc": stem + "ā", "acc": stem + "u"}
    if word.endswith("a"):  # 4th declension: Liepna
        stem = word[:-1]
        if len(stem) < 2 or stem[-1] in _VOWELS:
            return None
        return {"gen": stem + "as", "dat": stem + "ai", "loc": stem + "ā", "acc": stem + "u"}
    if word.endswith("e") and not word.endswith("ie"):  # 5th declension: Mālupe
        stem = word[:-1]
        if len(stem) < 2 or stem[-1] in _VOWELS:
            return None
        return {"gen": stem + "es", "dat": stem + "ei", "loc": stem + "ē", "acc": stem + "i"}
    return None


def _plural(word: str) -> dict[str, str] | None:
    """gen, dat, loc, acc of one word in the nominative plural (gen may be left out)."""
    if word.endswith("i"):  # 1st/2nd declension: Ziemeri, Zeltiņi
        stem = word[:-1]
        if len(stem) < 2 or stem[-1] in _VOWELS:
            return None
        return {"gen": stem + "u", "dat": stem + "iem", "loc": stem + "os", "acc": stem + "us"}
    if word.endswith("as"):  # 4th declension: no consonant alternation
        stem = word[:-2]
        if len(stem) < 2 or stem[-1] in _VOWELS:
            return None
        return {"gen": stem + "u", "dat": stem + "ām", "loc": stem + "ās", "acc": stem + "as"}
    if word.endswith("es"):  # 5th declension: the genitive alternates (Mežmales → Mežmaļu)
        stem = word[:-2]
        if len(stem) < 2 or stem[-1] in _VOWELS:
            return None
        forms = {"dat": stem + "ēm", "loc": stem + "ēs", "acc": stem + "es"}
        if stem[-1] in _SOFT:
            forms["gen"] = stem + "u"
        return forms
    return None


def latvian_forms(name: str) -> dict[str, str]:
    """The genitive, dative, locative and accusative of a place name, as far as its ending
    tells them for certain; an empty dict when it does not."""
    words = name.split()
    if not words or not all(_WORD.match(word) for word in words):
        return {}
    *fixed, last = words
    if not all(_FIXED_WORD.match(word) for word in fixed):
        return {}
    forms = _plural(last) if last.endswith(("i", "as", "es")) else _singular(last)
    if not forms:
        return {}
    head = " ".join(fixed)
    return {case: f"{head} {form}" if head else form for case, form in forms.items()}
