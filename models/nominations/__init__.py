"""Nomination rounds, nominations of unit representatives, and residents' support for them.

The rules live here so that chat and command line hold the same ones: a round is open between
its start and its end; a candidate collects support only after consenting; a supporter is a
registered resident of the candidate's unit who declared being old enough and living there;
one support per resident per candidate, and one per round when the round says so. The two
"one support" rules are UNIQUE constraints, so they hold also when attempts race.

    tables        the tables, statuses, limits and what people type (names, phones)
    rounds        scheduling, opening and closing rounds
    candidacies   nominating, consent, decisions, and where each nomination stands
    support       support in chat and on paper, and its withdrawal
    personal_data export and erasure of what the nominations hold about a resident
"""

from models.nominations.candidacies import (
    Standing,
    active_nomination_of,
    count_supporters,
    decide,
    find_by_phone,
    get_nomination,
    list_nominations,
    new_support_code,
    nominate,
    nomination_by_code,
    record_consent,
    standings,
    support_counts,
    supporters_of,
    withdraw_nomination,
)
from models.nominations.personal_data import erase_personal_data, export_personal_data
from models.nominations.rounds import (
    create_round,
    due_to_close,
    due_to_open,
    end_round_now,
    get_round,
    list_rounds,
    open_round_for_unit,
    round_for_unit,
)
from models.nominations.support import (
    Supported,
    add_paper_support,
    add_support,
    check_may_support,
    existing_support,
    supports_of,
    withdraw_support,
)
from models.nominations.tables import (
    ACTIVE,
    BIO_SHOWN,
    CODE_LENGTH,
    CODE_TYPED,
    COLLECTING,
    MINIMUM_AGE,
    NAME_MAX,
    REASON_MAX,
    SUPPORTERS_NEEDED,
    Nomination,
    NominationRound,
    NominationStatus,
    Refused,
    RoundStatus,
    Support,
    SupportOrigin,
    candidate_phone,
    clean_name,
)

__all__ = [
    "ACTIVE",
    "BIO_SHOWN",
    "CODE_LENGTH",
    "CODE_TYPED",
    "COLLECTING",
    "MINIMUM_AGE",
    "NAME_MAX",
    "REASON_MAX",
    "SUPPORTERS_NEEDED",
    "Nomination",
    "NominationRound",
    "NominationStatus",
    "Refused",
    "RoundStatus",
    "Standing",
    "Support",
    "SupportOrigin",
    "Supported",
    "active_nomination_of",
    "add_paper_support",
    "add_support",
    "candidate_phone",
    "check_may_support",
    "clean_name",
    "count_supporters",
    "create_round",
    "decide",
    "due_to_close",
    "due_to_open",
    "end_round_now",
    "erase_personal_data",
    "existing_support",
    "export_personal_data",
    "find_by_phone",
    "get_nomination",
    "get_round",
    "list_nominations",
    "list_rounds",
    "new_support_code",
    "nominate",
    "nomination_by_code",
    "open_round_for_unit",
    "record_consent",
    "round_for_unit",
    "standings",
    "support_counts",
    "supporters_of",
    "supports_of",
    "withdraw_nomination",
    "withdraw_support",
]
