"""What is stored about a person (for /mydata) and how each feature erases it (for /forget)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.broadcasts import erase_broadcast_data
from models.helpers import erase_helper_data, export_code_tries, export_helper_data
from models.houses import erase_house, export_house
from models.messaging import erase_media
from models.nominations import erase_personal_data as erase_nominations
from models.nominations import export_personal_data as export_nominations
from models.offline_residents import erase_offline_data, export_offline_data
from models.outreach import erase_personal_data as erase_outreach
from models.outreach import export_personal_data as export_outreach
from models.residents import Resident, erase_resident, identities_of
from models.roles import list_grants_of
from models.survey_drafts import erase_drafts, export_drafts

Exporter = Callable[[AsyncSession, Resident], Awaitable[Any]]
Eraser = Callable[[AsyncSession, Resident], Awaitable[None]]

# The name of the file /mydata sends.
EXPORT_FILENAME = "padome-my-data.json"
# Tables whose rows erasure changes or deletes: on PostgreSQL the old row versions stay in
# the table's files until VACUUM makes their space reusable.
ERASED_TABLES = (
    "residents",
    "identities",
    "conversations",
    "console_messages",
    "role_grants",
    "deliveries",
    "broadcasts",
    "media_files",
    "message_statuses",
    "ideas",
    "idea_answers",
    "idea_area_members",
    "nominations",
    "supports",
    "survey_responses",
    "survey_answers",
    "survey_participations",
    "help_posts",
    "help_requests",
    "help_blocks",
    "help_bans",
    "help_reports",
    "help_subscriptions",
    "meeting_answers",
    "meeting_attendance",
    "group_join_requests",
    "outreach_joins",
    "poster_names",
    "helper_links",
    "helper_acts",
    "helper_code_tries",
    "call_list_marks",
    "survey_drafts",
)

_EXPORTERS: dict[str, Exporter] = {}
_ERASERS: list[Eraser] = []


def add_section(name: str, exporter: Exporter, eraser: Eraser | None = None) -> None:
    """Let a feature add what it keeps about a person to the export and the erasure."""
    _EXPORTERS[name] = exporter
    if eraser is not None:
        _ERASERS.append(eraser)


# Nominations made, candidacies and supports; erasing removes a supporter's name from every
# form and list.
add_section("nominations", export_nominations, erase_nominations)
# The house the resident said they live in.
add_section("house", export_house, erase_house)
# The poster or flyer that brought the person, and a representative's name shown on posters.
add_section("outreach", export_outreach, erase_outreach)
# A resident without a phone: how they are reached, and who recorded their paper consent.
add_section("without_a_phone", export_offline_data, erase_offline_data)
# Trusted helpers, on either side, and what a helper did for the resident.
add_section("trusted_helpers", export_helper_data, erase_helper_data)
# Surveys a staff member began in the console and kept as drafts.
add_section("survey_drafts", export_drafts, erase_drafts)
# Wrong codes typed lately for a link with a trusted person (erased with the links above).
add_section("wrong_trusted_person_codes", export_code_tries)


async def personal_data(session: AsyncSession, resident: Resident) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resident": {
            "id": resident.id,
            "language": resident.language,
            "unit": resident.unit.name_in(resident.language) if resident.unit else None,
            "locality": (
                resident.locality.name_in(resident.language) if resident.locality else None
            ),
            "name": resident.display_name,
            "phone": resident.phone,
            "receives_broadcasts": resident.subscribed,
            "agreed_to_privacy_notice_at": _iso(resident.consented_at),
            "registered_at": _iso(resident.created_at),
        },
        "accounts": [
            {"channel": item.channel, "id": item.external_id, "since": _iso(item.created_at)}
            for item in await identities_of(session, resident.id)
        ],
        "roles": [
            {
                "role": grant.role,
                "unit": grant.unit.name_in(resident.language) if grant.unit else None,
                "locality": grant.locality.name_in(resident.language) if grant.locality else None,
                "house": grant.house.label if grant.house else None,
            }
            for grant in await list_grants_of(session, resident.id)
        ],
    }
    for name, exporter in _EXPORTERS.items():
        data[name] = await exporter(session, resident)
    return data


async def forget(session: AsyncSession, resident: Resident) -> None:
    """Erase the person everywhere: what was sent or is waiting to be sent to them, their
    data exports, each feature's data, then the resident record itself."""
    accounts = [
        (item.channel, item.external_id) for item in await identities_of(session, resident.id)
    ]
    message_ids = await erase_broadcast_data(session, resident_id=resident.id, accounts=accounts)
    await erase_media(
        session,
        message_ids=message_ids,
        export_name=EXPORT_FILENAME,
        export_is_theirs=lambda content: _export_of(content) == resident.id,
    )
    for eraser in _ERASERS:
        await eraser(session, resident)
    await erase_resident(session, resident)


def _export_of(content: bytes) -> int | None:
    """Whose data export a file is."""
    try:
        about = json.loads(content)["resident"]["id"]
    except (ValueError, TypeError, KeyError):
        return None
    return about if isinstance(about, int) else None


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
