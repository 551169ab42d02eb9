"""What the nominations hold about a resident: exported on request, erased on request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.conversations import relabel_options
from models.nominations.candidacies import list_nominations, new_support_code
from models.nominations.support import supports_of
from models.nominations.tables import ACTIVE, Nomination, NominationStatus, Support
from models.residents import Resident


async def export_personal_data(session: AsyncSession, resident: Resident) -> dict[str, Any]:
    made = await session.scalars(
        select(Nomination).where(Nomination.nominated_by_id == resident.id).order_by(Nomination.id)
    )
    candidacies = await list_nominations(session, candidate_id=resident.id)
    return {
        "nominations_made": [
            {
                "candidate": item.candidate_name,
                "unit": item.unit.name_in(resident.language),
                "reason": item.reason,
                "status": item.status,
                "at": item.created_at.isoformat(),
            }
            for item in made
        ],
        "candidacies": [
            {
                "unit": item.unit.name_in(resident.language),
                "name": item.candidate_name,
                "phone": item.candidate_phone,
                "about": item.bio,
                "status": item.status,
                "consented_at": item.consented_at.isoformat() if item.consented_at else None,
            }
            for item in candidacies
        ],
        "supports": [
            {
                "candidate": item.nomination.candidate_name,
                "name": item.name,
                "declared_age_at_least": item.declared_age,
                "declared_at": item.declared_at.isoformat(),
            }
            for item in await supports_of(session, resident.id)
        ],
    }


async def erase_personal_data(session: AsyncSession, resident: Resident) -> None:
    """Supports go (the name leaves every form and list); a candidacy is withdrawn and its
    personal details cleared; nominations made for others lose who made them and why.

    A candidacy's supports go too (its supporters' lists would show a nameless candidate),
    and its support code is replaced, so the old code leads nowhere.
    """
    await session.execute(delete(Support).where(Support.supporter_id == resident.id))
    candidacies = await list_nominations(session, candidate_id=resident.id)
    # Staff lists show a nomination's number and the candidate's name.
    # (The packed payload of the staff's nomination button, handlers' NominationShown.)
    await relabel_options(session, {f"nomcshow:{item.id}": f"#{item.id}" for item in candidacies})
    if candidacies:
        await session.execute(
            delete(Support).where(Support.nomination_id.in_([item.id for item in candidacies]))
        )
    for item in candidacies:
        if item.status in ACTIVE:
            item.status = NominationStatus.WITHDRAWN.value
        item.candidate_name = ""
        item.candidate_phone = None
        item.bio = None
        item.reason = None
        item.candidate_id = None
        item.support_code = await new_support_code(session)
    await session.execute(
        update(Nomination)
        .where(Nomination.nominated_by_id == resident.id)
        .values(nominated_by_id=None, reason=None)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
