"""What the buttons of surveys and quick polls carry: which survey, question and choice."""

from __future__ import annotations

import enum

from bot.dialog.payloads import Payload, payload


class FileFormat(enum.StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


class PollLanguage(enum.StrEnum):
    RU = "ru"
    EN = "en"


class PollScreen(enum.StrEnum):
    """The screens of a quick poll being prepared, for its Back buttons."""

    QUESTION = "q"
    OPTIONS = "o"
    LANGUAGES = "l"
    AUDIENCE = "a"
    DAYS = "d"


@payload("svopen")
class SurveyOpen(Payload):
    """Start, go on with, or look at one's answers to a survey."""

    survey_id: int


@payload("svans")
class SurveyChoice(Payload):
    """An option of a single-choice or yes/no question, or a scale's value."""

    survey_id: int
    question_id: int
    value: int


@payload("svtick")
class SurveyTick(Payload):
    """Tick or untick an option of a multiple-choice question."""

    survey_id: int
    question_id: int
    option_id: int


@payload("svdone")
class SurveyDone(Payload):
    """A multiple-choice question is answered with the options ticked."""

    survey_id: int
    question_id: int


@payload("svkeep")
class SurveyKeep(Payload):
    """Keep the typed answer a free-text question already has."""

    survey_id: int
    question_id: int


@payload("svskip")
class SurveySkip(Payload):
    survey_id: int
    question_id: int


@payload("svback")
class SurveyBack(Payload):
    """The question before this one (before the review: the last one)."""

    survey_id: int
    question_id: int | None = None


@payload("svreview")
class SurveyReview(Payload):
    survey_id: int


@payload("svsend")
class SurveySend(Payload):
    survey_id: int


@payload("svchange")
class SurveyChange(Payload):
    """Change one's sent answers while the survey is open."""

    survey_id: int


@payload("svres")
class SurveyResults(Payload):
    survey_id: int


@payload("svfile")
class SurveyFile(Payload):
    survey_id: int
    file_format: FileFormat = FileFormat.XLSX


@payload("svpaper")
class SurveyPaper(Payload):
    """Type in a paper questionnaire (from this unit; the unit is asked when None)."""

    survey_id: int
    unit_id: int | None = None
    # Whose it is: a registered resident without a phone (None: someone not registered),
    # once asked (`whose`).
    resident_id: int | None = None
    whose: bool = False


@payload("svclose")
class SurveyClose(Payload):
    survey_id: int
    sure: bool = False


@payload("polllang")
class PollVersion(Payload):
    """Add (or replace) the poll's version in another language."""

    language: PollLanguage


@payload("pollto")
class PollAudience(Payload):
    """Who answers the poll: one unit, or every unit when None."""

    unit_id: int | None = None


@payload("polldays")
class PollDays(Payload):
    days: int


@payload("pollback")
class PollBack(Payload):
    """Back to an earlier screen of the poll being prepared."""

    to: PollScreen


@payload("pollgo")
class PollStart(Payload):
    """Send the quick poll being prepared, as previewed."""


@payload("pollno")
class PollCancel(Payload):
    """Drop the quick poll being prepared."""
