"""Houses: a resident's house, coverage per place, and house elders' blocks."""

from __future__ import annotations

from bot.dialog.router import Router
from handlers.houses import coverage, my_house

router = Router()
router.include(my_house.router)
router.include(coverage.router)
