"""Surveys in chat: answering one question at a time, quick polls, paper questionnaires,
results with a chart, and files for staff; opening, reminding and closing on time."""

from __future__ import annotations

from handlers.surveys.answering import router

__all__ = ["router"]
