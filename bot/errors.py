"""Describe a failure for logs and the admin chat without its message, which may hold data."""

from __future__ import annotations

import traceback


def failure_summary(error: BaseException) -> str:
    """`RuntimeError at handlers/roles.py:120`: the type and the innermost place."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__name__} at {where}"


def failure_trace(error: BaseException) -> str:
    """The call stack (files, lines, functions) and exception types, no messages or values."""
    lines = []
    current: BaseException | None = error
    while current is not None:
        lines.append(type(current).__name__)
        lines.extend(
            f"  {frame.filename}:{frame.lineno} in {frame.name}"
            for frame in traceback.extract_tb(current.__traceback__)
        )
        current = current.__cause__ or current.__context__
    return "\n".join(lines)
