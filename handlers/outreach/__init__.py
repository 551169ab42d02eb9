"""The outreach kit: a poster's code brings a resident straight into their parish or town
(`links`); representatives and coordinators print posters and flyers and see who joined
through each place (`kit`)."""

from __future__ import annotations

from bot.dialog.router import Router
from handlers.outreach import kit, links

router = Router()
for feature in (links, kit):
    router.include(feature.router)
