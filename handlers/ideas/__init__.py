"""Residents' ideas and concerns to their representative."""

from __future__ import annotations

from handlers.ideas.submit import router, weekly_digest

__all__ = ["router", "weekly_digest"]
