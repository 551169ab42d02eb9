"""Nominations of parish and town representatives: residents nominate, consent and support;
coordinators prepare rounds, check nominations and print the forms. Signatures and the vote
stay on paper: the assistant gathers nominations and support and prepares the form, and says
so on every screen.

    overview      the residents' screen and the list of candidates
    nominate      nominating oneself or another resident
    candidacy     the candidate's consent, words about themselves, withdrawal
    support       supporting a candidate and withdrawing the support
    rounds        the scheduler job that opens and closes rounds
    coordinator   the coordinator's home and ending a round early
    round_wizard  preparing a round
    staff_review  checking nominations: consent given offline, paper supporters, decisions
    paperwork     the CSV and XLSX tables and the printable forms
    texts         what the screens share
    buttons       the typed buttons
"""

from __future__ import annotations

from bot.dialog.router import Router
from handlers.nominations import (
    candidacy,
    coordinator,
    nominate,
    overview,
    paperwork,
    round_wizard,
    staff_review,
    support,
)
from handlers.nominations.rounds import run_rounds
from handlers.nominations.texts import PAPER_NOTE, progress

router = Router()
for feature in (
    overview,
    nominate,
    candidacy,
    support,
    coordinator,
    round_wizard,
    staff_review,
    paperwork,
):
    router.include(feature.router)

__all__ = ["PAPER_NOTE", "progress", "router", "run_rounds"]
