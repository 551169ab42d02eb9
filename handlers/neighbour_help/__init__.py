"""Neighbours helping each other: offering or asking (`posting`), finding and matching
with reports and blocks (`matching`), notices of new offers and what follows the date
(`after`)."""

from __future__ import annotations

from bot.dialog.router import Router
from handlers.neighbour_help import after, matching, posting

router = Router()
for feature in (posting, matching, after):
    router.include(feature.router)
