"""Surveys in chat: answering one question at a time, quick polls, paper questionnaires,
results with a chart, and files for staff; opening, reminding and closing on time.

One module per sub-feature, one router each, assembled here.
"""

from __future__ import annotations

from bot.dialog.router import Router
from handlers.surveys import answering, listing, polls, results, staff

router = Router()
for part in (listing, answering, results, staff, polls):
    router.include(part.router)
