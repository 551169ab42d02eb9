"""The nominations' typed buttons: residents' and coordinators'."""

from __future__ import annotations

import enum

from bot.dialog.payloads import Payload, payload
from models.nominations import NominationStatus


class Filter(enum.StrEnum):
    ALL = "all"
    AWAITING = NominationStatus.AWAITING_CONSENT.value
    CONSENTED = NominationStatus.CONSENTED.value
    VERIFIED = NominationStatus.VERIFIED.value
    REJECTED = NominationStatus.REJECTED.value


class StartPick(enum.StrEnum):
    NOW = "now"
    TOMORROW = "tomorrow"


class RoundStep(enum.StrEnum):
    START = "start"
    END = "end"


class Fold(enum.StrEnum):
    """Which of a time that happens twice (the clocks go back): `read_time`'s buttons."""

    EARLIER = "0"
    LATER = "1"


class Setting(enum.StrEnum):
    SUPPORTERS = "supporters"
    AGE = "age"
    MULTIPLE = "multiple"


class TableFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@payload("nomnew")
class NominateStart(Payload):
    """Start a nomination: whom?"""


@payload("nomwho")
class NominateWho(Payload):
    """Nominate oneself (True) or someone else."""

    myself: bool


@payload("nommyname")
class OwnName(Payload):
    """Use one's messenger name as the name on the form."""


@payload("nomskip")
class SkipContact(Payload):
    """Nominate without a way to reach the candidate."""


@payload("nomlist")
class Candidates(Payload):
    """The candidates of the resident's unit."""


@payload("nommine")
class MyCandidacy(Payload):
    """The resident's own candidacy."""


@payload("nomconsent")
class ConsentAnswer(Payload):
    """The candidate's answer to a nomination; `sure` after the confirmation screen."""

    nomination_id: int
    agreed: bool
    sure: bool = False


@payload("nombio")
class WriteBio(Payload):
    nomination_id: int


@payload("nomnobio")
class SkipBio(Payload):
    nomination_id: int


@payload("nomwithdraw")
class WithdrawCandidacy(Payload):
    nomination_id: int
    sure: bool = False


@payload("supcode")
class SupportPage(Payload):
    """A candidate's support page, by the candidate's support code."""

    code: str


@payload("supmyname")
class SupporterOwnName(Payload):
    """Use one's messenger name as a supporter's name."""


@payload("supyes")
class SupportDeclared(Payload):
    nomination_id: int


@payload("supno")
class SupportNotDeclared(Payload):
    nomination_id: int


@payload("supmine")
class MySupport(Payload):
    """The candidates the resident supports."""


@payload("supdrop")
class WithdrawSupport(Payload):
    support_id: int
    sure: bool = False


@payload("nomcend")
class EndRound(Payload):
    round_id: int
    sure: bool = False


@payload("rndnew")
class NewRound(Payload):
    """Start preparing a round."""


@payload("rndall")
class RoundEverywhere(Payload):
    """A round for every parish and the town."""


@payload("rndpick")
class RoundPick(Payload):
    """The parish picker; with a unit, tick or untick it."""

    unit_id: int | None = None


@payload("rndunits")
class RoundUnitsChosen(Payload):
    """The ticked parishes are the round's."""


@payload("rndstart")
class RoundStart(Payload):
    when: StartPick


@payload("rndtwice")
class RoundTimeTwice(Payload):
    step: RoundStep
    fold: Fold | None = None


@payload("rndend")
class RoundLength(Payload):
    days: int


@payload("rnddates")
class RoundDates(Payload):
    """Choose the round's dates again, keeping its parishes and settings."""


@payload("rndset")
class RoundSetting(Payload):
    setting: Setting


@payload("rndshow")
class RoundSettings(Payload):
    """The round's settings as prepared so far."""


@payload("rndsave")
class SaveRound(Payload):
    """Schedule the round as prepared."""


@payload("nomcunits")
class UnitList(Payload):
    """The parishes and the town, to see their nominations."""


@payload("nomcunit")
class UnitNominations(Payload):
    unit_id: int
    show: Filter = Filter.ALL


@payload("nomcshow")
class NominationShown(Payload):
    nomination_id: int


@payload("nomcverify")
class VerifyNomination(Payload):
    nomination_id: int


@payload("nomcreject")
class RejectNomination(Payload):
    nomination_id: int
    # Pressed on the confirmation, after the reason was typed.
    sure: bool = False


@payload("nomcconsent")
class OfflineConsent(Payload):
    nomination_id: int
    sure: bool = False


@payload("nomcpaper")
class PaperSupporter(Payload):
    nomination_id: int


@payload("nomcexport")
class ExportTable(Payload):
    unit_id: int
    format: TableFormat


@payload("nomcpdf")
class NominationForm(Payload):
    nomination_id: int
