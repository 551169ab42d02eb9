"""Typed button payloads: what a button carries, and what a forged one becomes."""

from __future__ import annotations

import enum

import pytest

from bot.dialog.messages import Button
from bot.dialog.payloads import Payload, payload


class Back(enum.StrEnum):
    INBOX = "inbox"
    AREA = "area"


@payload("ideaitem")
class IdeaItem(Payload):
    idea_id: int
    back: Back = Back.INBOX
    page: int | None = None


@payload("yesno")
class Confirm(Payload):
    code: str
    yes: bool


def test_a_payload_packs_to_its_kind_and_fields_and_back() -> None:
    item = IdeaItem(7, Back.AREA, 2)
    assert item.pack() == "ideaitem:7:area:2"
    assert IdeaItem.unpack("ideaitem:7:area:2") == item
    # Trailing fields with a default may be left out, and are when empty.
    assert IdeaItem(7).pack() == "ideaitem:7:inbox"
    assert IdeaItem.unpack("ideaitem:7") == IdeaItem(7)
    assert Confirm.unpack(Confirm("K7M2QP", True).pack()) == Confirm("K7M2QP", True)
    assert Button("Open", IdeaItem(7)).payload == "ideaitem:7:inbox"


@pytest.mark.parametrize(
    "forged",
    [
        "ideaitem",  # a field without a default missing
        "ideaitem:",
        "ideaitem:9999999999999999999999999",  # more than an id holds
        "ideaitem:²",
        "ideaitem:፩",
        "ideaitem:-1",
        "ideaitem:7:kitchen",  # not one of the enum's values
        "ideaitem:7:inbox:2:3",  # one part too many
        "ideaitem:7:inbox:x",
        "ideaitem:7\x00",
        "other:7",
        "yesno:K7M2QP:maybe",
        "yesno:../../x:y",
        "yesno:" + "A" * 41 + ":y",
    ],
)
def test_anything_that_does_not_fit_unpacks_to_none(forged: str) -> None:
    kind = Confirm if forged.startswith("yesno") else IdeaItem
    assert kind.unpack(forged) is None


def test_a_payload_over_64_bytes_or_with_an_unsafe_text_is_refused_when_made() -> None:
    with pytest.raises(ValueError):
        Confirm("has:colon", True).pack()

    @payload("long")
    class Long(Payload):
        a: str
        b: str

    with pytest.raises(ValueError):
        Long("a" * 40, "b" * 40).pack()


def test_a_field_a_button_cannot_carry_is_refused_when_the_kind_is_made() -> None:
    with pytest.raises(TypeError):

        @payload("bad")
        class Bad(Payload):
            when: float
