"""Council messages in chat: the News residents read, composing a message, following it."""

from __future__ import annotations

from bot.dialog.router import Router
from handlers.broadcasts import bulletin, compose, manage, news, unreached

router = Router()
for part in (news, compose, manage, unreached, bulletin):
    router.include(part.router)
