"""Meetings in chat: council sessions, community meetings and working groups; invitations
with answer buttons, reminders, the residents' list, the organiser's view of the answers.

One module per sub-feature, one router each, assembled here.
"""

from __future__ import annotations

from bot.dialog.router import Router
from handlers.meetings import after, answering, calling, changing, ideas

router = Router()
for part in (answering, calling, changing, after, ideas):
    router.include(part.router)
