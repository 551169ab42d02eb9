"""Residents' ideas and concerns to their representative: writing one (`submit`), the
council's inbox (`inbox`), forwarding an item (`forwarding`), areas of responsibility
(`areas`), files (`export`) and the weekly digest (`digest`)."""

from __future__ import annotations

from bot.dialog.router import Router
from handlers.ideas import areas, export, forwarding, inbox, submit

router = Router()
# In this order their /help lines are listed.
for feature in (submit, inbox, forwarding, export, areas):
    router.include(feature.router)
