"""Typed button payloads: one small frozen dataclass per kind of button.

A button carries `kind:field:field`, at most 64 bytes (Telegram's limit for callback data).
Handlers get the dataclass, never the raw parts: `unpack` checks every part against its
field's type, and anything that does not fit (a forged press, a button of an older version,
digits of another script, an id no column holds) is None, which the engine refuses like any
other button the person may not press.

    @payload("ideaitem")
    class IdeaItem(Payload):
        idea_id: int
        back: Back = Back.INBOX

    Button(t._("Open"), IdeaItem(7))            # packs to "ideaitem:7:inbox"

Field types: `int` (an id: ASCII digits that fit the column), `bool` (`y`/`n`), `str` (a
slug or a code: letters, digits, `_`, `-`, `.`, at most 40), a `StrEnum` (one of its values),
and any of them `| None` (an empty part). Trailing fields with a default may be left out of
a payload, so a button stays valid when a field is added at the end.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from bot.parsing import parse_id

MAX_PAYLOAD_BYTES = 64
_TEXT = re.compile(r"[A-Za-z0-9_.\-]{1,40}")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,23}")

P = TypeVar("P", bound="Payload")


class Payload:
    """Base of every typed payload; made by the `payload` decorator."""

    kind: ClassVar[str]
    _codecs: ClassVar[tuple[tuple[str, _Codec, bool], ...]]

    def pack(self) -> str:
        parts = [self.kind]
        for name, codec, _ in self._codecs:
            parts.append(codec.encode(getattr(self, name)))
        while len(parts) > 1 and parts[-1] == "" and self._trailing_default(len(parts) - 2):
            parts.pop()
        packed = ":".join(parts)
        if len(packed.encode()) > MAX_PAYLOAD_BYTES:
            raise ValueError(f"payload {packed!r} is over {MAX_PAYLOAD_BYTES} bytes")
        return packed

    def _trailing_default(self, index: int) -> bool:
        name, _, has_default = self._codecs[index]
        return has_default and getattr(self, name) is None

    @classmethod
    def unpack(cls: type[P], packed: str) -> P | None:
        """The payload a button carries, or None when it is not one of ours."""
        if not packed.isprintable() or len(packed.encode()) > MAX_PAYLOAD_BYTES:
            return None
        kind, *parts = packed.split(":")
        if kind != cls.kind or len(parts) > len(cls._codecs):
            return None
        values: dict[str, Any] = {}
        for index, (name, codec, has_default) in enumerate(cls._codecs):
            if index >= len(parts):
                if not has_default:
                    return None
                continue
            ok, value = codec.decode(parts[index])
            if not ok:
                return None
            values[name] = value
        return cls(**values)

    def __str__(self) -> str:
        return self.pack()


@dataclasses.dataclass(frozen=True)
class _Codec:
    encode: Callable[[Any], str]
    decode: Callable[[str], tuple[bool, Any]]


def _int_codec() -> _Codec:
    def decode(part: str) -> tuple[bool, Any]:
        value = parse_id(part)
        return value is not None, value

    return _Codec(str, decode)


def _bool_codec() -> _Codec:
    return _Codec(
        lambda value: "y" if value else "n", lambda part: (part in ("y", "n"), part == "y")
    )


def _str_codec() -> _Codec:
    def encode(value: str) -> str:
        if not _TEXT.fullmatch(value):
            raise ValueError(f"{value!r} cannot be carried by a button")
        return value

    return _Codec(encode, lambda part: (bool(_TEXT.fullmatch(part)), part))


def _enum_codec(kind: type[enum.StrEnum]) -> _Codec:
    members = {member.value: member for member in kind}

    def decode(part: str) -> tuple[bool, Any]:
        member = members.get(part)
        return member is not None, member

    return _Codec(lambda value: kind(value).value, decode)


def _optional(inner: _Codec) -> _Codec:
    def decode(part: str) -> tuple[bool, Any]:
        return (True, None) if part == "" else inner.decode(part)

    return _Codec(lambda value: "" if value is None else inner.encode(value), decode)


def _codec_for(annotation: Any) -> _Codec:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [arg for arg in args if arg is not type(None)]
        if len(rest) == 1:
            return _optional(_codec_for(rest[0]))
    if annotation is bool:
        return _bool_codec()
    if annotation is int:
        return _int_codec()
    if annotation is str:
        return _str_codec()
    if isinstance(annotation, type) and issubclass(annotation, enum.StrEnum):
        return _enum_codec(annotation)
    raise TypeError(f"a button cannot carry a field of type {annotation!r}")


def payload(kind: str) -> Callable[[type[P]], type[P]]:
    """Make a class a frozen dataclass that packs to `kind:...`."""
    if not _KIND.fullmatch(kind):
        raise ValueError(f"{kind!r} is not a payload kind")

    def make(cls: type[P]) -> type[P]:
        if not issubclass(cls, Payload):
            raise TypeError(f"{cls.__name__} must subclass Payload")
        made = dataclasses.dataclass(frozen=True)(cls)
        made.kind = kind
        hints = typing.get_type_hints(made, include_extras=False)
        made._codecs = tuple(
            (
                field.name,
                _codec_for(hints[field.name]),
                field.default is not dataclasses.MISSING
                or field.default_factory is not dataclasses.MISSING,
            )
            for field in dataclasses.fields(made)
        )
        return made

    return make
