"""The round job: rounds open and close on time; residents and candidates are told."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from broadcasts.compose import Audience, create_broadcast, in_every_language
from broadcasts.notices import send_notice
from broadcasts.service import JobContext
from handlers.nominations.texts import PAPER_NOTE, progress
from models.nominations import (
    COLLECTING,
    NominationRound,
    NominationStatus,
    Standing,
    due_to_close,
    due_to_open,
    list_nominations,
    standings,
)
from models.territory import Unit, list_units

logger = logging.getLogger(__name__)


async def _tell_candidates_the_round_closed(
    session: AsyncSession, item: NominationRound, context: JobContext
) -> None:
    """Each registered candidate still in the round learns their count and what comes next:
    the count every list shows, and the coordinator's verification where it was made."""
    nominations = [
        nomination
        for nomination in await list_nominations(session, round_id=item.id, statuses=COLLECTING)
        if nomination.candidate_id is not None
    ]
    standing = await standings(session, nominations)
    needed = item.supporters_needed
    for nomination in nominations:
        candidate_id = nomination.candidate_id
        assert candidate_id is not None
        now_stands = standing[nomination.id]
        unit = nomination.unit

        def write(t: Translator, stands: Standing = now_stands, unit: Unit = unit) -> str:
            head = t._(
                "Nominations in {unit} have closed. Your nomination has {progress}.",
                unit=t.place(unit),
                progress=progress(t, stands.count, needed),
            )
            if stands.status == NominationStatus.VERIFIED.value:
                then = t._(
                    "The coordinator has verified your nomination, so it goes further. You and "
                    "your supporters sign the nomination form on paper, and the coordinator "
                    "tells you the result."
                )
            elif stands.goes_further:
                then = t._(
                    "That is enough. The coordinator prepares the nomination form; you and "
                    "your supporters sign it on paper, and the coordinator tells you the result."
                )
            else:
                then = t._(
                    "That is fewer than a candidate needs, so the nomination does not go "
                    "further this time. Thank you for offering to represent your parish or town."
                )
            return f"{head}\n{then}"

        await send_notice(
            session,
            settings=context.settings,
            resident_ids=[candidate_id],
            write=write,
            now=context.now,
            personal=False,
        )


async def _announce_round(
    session: AsyncSession, item: NominationRound, unit: Unit, context: JobContext
) -> None:
    """Tell the residents of `unit` that nominations are open, naming their place."""
    end, needed, age = item.ends_at, item.supporters_needed, item.minimum_age

    def write(t: Translator) -> str:
        return "\n\n".join(
            [
                t._(
                    "Nominations of parish and town representatives on the residents' "
                    "council are open until {end}.",
                    end=t.datetime(end),
                ),
                t._(
                    "Nominate yourself or another resident of {unit} as its representative, "
                    "or support a candidate: choose the option below, or send /nominate.",
                    unit=t.place(unit),
                ),
                t.ngettext(
                    "A candidate needs {n} supporter aged {age} or older.",
                    "A candidate needs {n} supporters aged {age} or older.",
                    needed,
                    age=t.number(age),
                ),
                t._(PAPER_NOTE),
            ]
        )

    await create_broadcast(
        session,
        roles=None,
        created_by_id=None,
        audience=Audience(unit_ids=(unit.id,)),
        texts=in_every_language(write, timezone=context.settings.tz),
        due_at=context.now,
        now=context.now,
        action=(N_("Nominations"), "nom"),
    )


async def run_rounds(context: JobContext) -> None:
    """Close rounds whose end has come, open those whose start has, and announce them."""
    async with context.sessionmaker() as session, session.begin():
        for item in await due_to_close(session, context.now):
            await _tell_candidates_the_round_closed(session, item, context)
            logger.info("nomination round %d closed", item.id)
        for item in await due_to_open(session, context.now):
            # One message per parish or town, so that each names its own place.
            for unit in await list_units(session):
                if item.unit_ids is None or unit.id in item.unit_ids:
                    await _announce_round(session, item, unit, context)
            logger.info("nomination round %d opened and announced", item.id)
