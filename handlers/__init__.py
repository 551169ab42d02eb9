"""Feature handlers, one module each, assembled here in a fixed order."""

from __future__ import annotations

from bot.dialog.engine import Flows
from bot.dialog.router import Router
from broadcasts.service import Job


def build_flows() -> Flows:
    """Assemble every feature's router; the order is the order of the menu's modules."""
    from handlers import (
        broadcasts,
        groups,
        helpers,
        houses,
        ideas,
        linking,
        meetings,
        menu,
        neighbour_help,
        nominations,
        offline_residents,
        onboarding,
        outreach,
        parish_group,
        privacy,
        roles,
        staff_console,
        subscriptions,
        surveys,
    )

    router = Router()
    for module in (
        onboarding,
        menu,
        nominations,
        broadcasts,
        surveys,
        meetings,
        ideas,
        neighbour_help,
        groups,
        parish_group,
        houses,
        outreach,
        roles,
        offline_residents,
        staff_console,
        linking,
        helpers,
        privacy,
        subscriptions,
    ):
        router.include(module.router)
    return Flows(
        router=router,
        resume_onboarding=onboarding.resume_onboarding,
        fallback=menu.fallback,
        group_command=parish_group.group_command,
        way_out=menu.way_out,
    )


def scheduled_jobs() -> list[Job]:
    """Every feature's scheduler jobs, run in this order on each tick."""
    from handlers import nominations, parish_group, privacy
    from handlers.broadcasts.unreached import CALL_LIST_JOB
    from handlers.ideas.digest import weekly_digest
    from handlers.meetings.schedule import MEETING_JOB
    from handlers.neighbour_help.after import after_the_date, monthly_counts
    from handlers.surveys.lifecycle import SURVEY_JOB

    return [
        Job("nomination_rounds", nominations.run_rounds),
        SURVEY_JOB,
        MEETING_JOB,
        CALL_LIST_JOB,
        Job("ideas_weekly_digest", weekly_digest),
        Job("neighbour_help_after_the_date", after_the_date),
        Job("neighbour_help_monthly_counts", monthly_counts),
        Job("group_welcomes", parish_group.welcome_new_members),
        Job("group_requests_unanswered", parish_group.decline_stale_requests),
        Job("vacuum_erased_tables", privacy.vacuum_erased_tables),
    ]
