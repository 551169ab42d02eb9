"""A survey being built in the console's form, and the survey file it stands for.

The builder's form is the draft: every press of a button posts all its fields, and the page is
drawn again from them. A draft is checked by writing it as a survey file and reading that with
the file's own reader (`models.survey_file`), so the rules and their messages are the file's;
each message is shown next to the field its setting names. Stored surveys are written back as
the same file for the YAML export.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import Translator
from models.survey_file import (
    TIME_FORMAT,
    Problem,
    SurveyFileError,
    SurveySpec,
    parse_survey_file,
    resolve_audience,
)
from models.surveys import LANGUAGES, QuestionKind, Survey, Visibility
from models.territory import Locality, Unit

KINDS = tuple(kind.value for kind in QuestionKind)
CHOICES = (QuestionKind.SINGLE.value, QuestionKind.MULTIPLE.value)
# A condition may name an earlier question of these kinds (the file's rule says which).
CONDITION_KINDS = (*CHOICES, QuestionKind.YESNO.value)
FILE_NAME = "survey.yaml"
# The form's fields per question and option are numbered; a draft has at most this many.
QUESTIONS_LIMIT = 60
OPTIONS_LIMIT = 12


def _texts() -> dict[str, str]:
    return dict.fromkeys(LANGUAGES, "")


@dataclass
class DraftQuestion:
    kind: str = QuestionKind.SINGLE.value
    text: dict[str, str] = field(default_factory=_texts)
    required: bool = True
    options: list[dict[str, str]] = field(default_factory=list)
    max: str = ""
    scale: str = "5"
    low: dict[str, str] = field(default_factory=_texts)
    high: dict[str, str] = field(default_factory=_texts)
    max_length: str = ""
    # "2:1": shown when question 2's option 1 was chosen (both counted from 1); "" always.
    show_if: str = ""


@dataclass
class Draft:
    title: dict[str, str] = field(default_factory=_texts)
    description: dict[str, str] = field(default_factory=_texts)
    units: list[str] = field(default_factory=list)  # slugs; none and no localities: everyone
    localities: list[str] = field(default_factory=list)  # "unit slug/locality name"
    opens: str = ""
    closes: str = ""
    anonymous: bool = True
    results: str = Visibility.AFTER_CLOSE.value
    remind: str = ""
    questions: list[DraftQuestion] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing typed yet: not worth keeping as a draft."""
        return not (any(self.title.values()) or any(self.description.values()) or self.questions)


def draft_content(draft: Draft) -> dict[str, Any]:
    """The draft as JSON, to keep it between visits (`models.survey_drafts`)."""
    return asdict(draft)


def draft_from_content(content: dict[str, Any]) -> Draft:
    """A kept draft read back; a setting it lacks (kept before the setting existed) takes
    its default, a setting no longer known is left out."""
    question_fields = {item.name for item in fields(DraftQuestion)}
    draft_fields = {item.name for item in fields(Draft)} - {"questions"}
    draft = Draft(**{key: value for key, value in content.items() if key in draft_fields})
    draft.questions = [
        DraftQuestion(**{key: value for key, value in question.items() if key in question_fields})
        for question in content.get("questions", [])
    ]
    return draft


def new_question(kind: str) -> DraftQuestion:
    question = DraftQuestion(kind=kind if kind in KINDS else QuestionKind.SINGLE.value)
    if question.kind in CHOICES:
        question.options = [_texts(), _texts()]
    return question


# ------------------------------------------------------------------ the form


def _texts_from(form: dict[str, str], prefix: str) -> dict[str, str]:
    return {language: form.get(f"{prefix}_{language}", "").strip() for language in LANGUAGES}


def _count(form: dict[str, str], name: str, limit: int) -> int:
    value = form.get(name, "")
    return min(int(value), limit) if value.isascii() and value.isdigit() else 0


def draft_from_form(form: dict[str, str], multi: dict[str, list[str]]) -> Draft:
    """The draft the builder's posted form holds (`multi`: fields sent more than once)."""
    draft = Draft(
        title=_texts_from(form, "title"),
        description=_texts_from(form, "description"),
        units=[slug for slug in multi.get("unit", []) if slug],
        localities=[name for name in multi.get("locality", []) if name],
        opens=form.get("opens", "").strip(),
        closes=form.get("closes", "").strip(),
        anonymous=form.get("anonymous") == "1",
        results=form.get("results", Visibility.AFTER_CLOSE.value),
        remind=form.get("remind", "").strip(),
    )
    for index in range(1, _count(form, "questions", QUESTIONS_LIMIT) + 1):
        prefix = f"q{index}"
        question = DraftQuestion(
            kind=form.get(f"{prefix}_type", QuestionKind.SINGLE.value),
            text=_texts_from(form, f"{prefix}_text"),
            required=form.get(f"{prefix}_required") == "1",
            max=form.get(f"{prefix}_max", "").strip(),
            scale=form.get(f"{prefix}_scale", "5").strip(),
            low=_texts_from(form, f"{prefix}_low"),
            high=_texts_from(form, f"{prefix}_high"),
            max_length=form.get(f"{prefix}_max_length", "").strip(),
            show_if=form.get(f"{prefix}_show_if", ""),
        )
        if question.kind not in KINDS:
            question.kind = QuestionKind.SINGLE.value
        for number in range(1, _count(form, f"{prefix}_options", OPTIONS_LIMIT) + 1):
            question.options.append(_texts_from(form, f"{prefix}_o{number}"))
        draft.questions.append(question)
    return draft


def apply_action(draft: Draft, action: str, new_kind: str) -> bool:
    """Add or remove a question or an option; True when the action was one of those."""
    parts = action.split(":")
    numbers = [int(part) - 1 for part in parts[1:] if part.isascii() and part.isdigit()]
    if parts[0] == "add_question" and len(draft.questions) < QUESTIONS_LIMIT:
        draft.questions.append(new_question(new_kind))
        return True
    if len(numbers) != len(parts) - 1 or not numbers:
        return parts[0] == "add_question"
    if not 0 <= numbers[0] < len(draft.questions):
        return False
    question = draft.questions[numbers[0]]
    if parts[0] == "remove_question" and len(numbers) == 1:
        del draft.questions[numbers[0]]
        _renumber_conditions(draft, removed=numbers[0])
        return True
    if parts[0] == "add_option" and len(numbers) == 1:
        if len(question.options) < OPTIONS_LIMIT:
            question.options.append(_texts())
        return True
    if parts[0] == "remove_option" and len(numbers) == 2:
        if 0 <= numbers[1] < len(question.options):
            del question.options[numbers[1]]
            _renumber_options(draft, question=numbers[0], removed=numbers[1])
        return True
    return False


def _condition(value: str) -> tuple[int, int] | None:
    question, _, option = value.partition(":")
    if question.isascii() and question.isdigit() and option.isascii() and option.isdigit():
        return int(question) - 1, int(option) - 1
    return None


def _renumber_conditions(draft: Draft, *, removed: int) -> None:
    """Conditions on a removed question go; those on later questions follow their number."""
    for question in draft.questions:
        condition = _condition(question.show_if)
        if condition is None:
            continue
        if condition[0] == removed:
            question.show_if = ""
        elif condition[0] > removed:
            question.show_if = f"{condition[0]}:{condition[1] + 1}"


def _renumber_options(draft: Draft, *, question: int, removed: int) -> None:
    for item in draft.questions:
        condition = _condition(item.show_if)
        if condition is None or condition[0] != question:
            continue
        if condition[1] == removed:
            item.show_if = ""
        elif condition[1] > removed:
            item.show_if = f"{condition[0] + 1}:{condition[1]}"


# ------------------------------------------------------------------ the survey file


def _file_texts(texts: dict[str, str]) -> dict[str, str]:
    return {language: text for language, text in texts.items() if text}


def _number(value: str) -> int | str:
    """A number where one was typed; anything else as typed, for the file's check to name."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else value


def file_data(draft: Draft) -> dict[str, Any]:
    """The draft as the survey file's settings, in the file's order."""
    data: dict[str, Any] = {"title": _file_texts(draft.title)}
    if _file_texts(draft.description):
        data["description"] = _file_texts(draft.description)
    audience: dict[str, Any] = {}
    if draft.units:
        audience["units"] = list(draft.units)
    if draft.localities:
        audience["localities"] = list(draft.localities)
    data["audience"] = audience or "all"
    if draft.opens:
        data["opens"] = draft.opens
    if draft.closes:
        data["closes"] = draft.closes
    data["anonymous"] = draft.anonymous
    data["results"] = draft.results
    if draft.remind:
        data["reminder_hours_before_close"] = _number(draft.remind)
    questions = []
    for question in draft.questions:
        item: dict[str, Any] = {"type": question.kind, "text": _file_texts(question.text)}
        if not question.required:
            item["required"] = False
        if question.kind in CHOICES:
            item["options"] = [_file_texts(option) for option in question.options]
        if question.kind == QuestionKind.MULTIPLE.value and question.max:
            item["max"] = _number(question.max)
        if question.kind == QuestionKind.SCALE.value:
            item["scale"] = _number(question.scale)
            item["low"] = _file_texts(question.low)
            item["high"] = _file_texts(question.high)
        if question.kind == QuestionKind.TEXT.value and question.max_length:
            item["max_length"] = _number(question.max_length)
        condition = _condition(question.show_if)
        if condition is not None:
            item["show_if"] = {"question": condition[0] + 1, "answer": condition[1] + 1}
        questions.append(item)
    data["questions"] = questions
    return data


def survey_yaml(draft: Draft) -> str:
    return yaml.safe_dump(
        file_data(draft), allow_unicode=True, sort_keys=False, default_flow_style=False, width=100
    )


@dataclass
class Problems:
    """The file check's messages, in the reader's language, by where the builder shows them:
    a survey setting (`survey`), a question's setting (`questions[(number, setting)]`,
    setting None for the question as a whole), or the survey as a whole (`general`)."""

    t: Translator | None = None
    survey: dict[str, list[str]] = field(default_factory=dict)
    questions: dict[tuple[int, str | None], list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    # Every message with its file and line: for a file brought in.
    written: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.survey or self.questions or self.general)

    def add(self, problem: Problem) -> None:
        self.written.append(problem.text(self.t))
        message = problem.said(self.t)
        setting = problem.setting
        if problem.question is not None:
            if setting not in QUESTION_SETTINGS:
                setting = None
            self.questions.setdefault((problem.question, setting), []).append(message)
        elif setting in SURVEY_SETTINGS:
            self.survey.setdefault(SURVEY_SETTINGS[setting], []).append(message)
        else:
            self.general.append(message)

    def in_question(self, number: int) -> bool:
        return any(key[0] == number for key in self.questions)

    def of(self, number: int, setting: str | None) -> list[str]:
        return self.questions.get((number, setting), [])


QUESTION_SETTINGS = {
    "type",
    "text",
    "required",
    "options",
    "max",
    "scale",
    "low",
    "high",
    "max_length",
    "show_if",
}
SURVEY_SETTINGS = {
    "title": "title",
    "description": "description",
    "audience": "audience",
    "units": "audience",
    "localities": "audience",
    "opens": "opens",
    "closes": "closes",
    "anonymous": "anonymous",
    "results": "results",
    "reminder_hours_before_close": "remind",
    "questions": "questions",
}


@dataclass
class Checked:
    """A draft read as a survey file: its spec and audience when it has no problem."""

    problems: Problems
    spec: SurveySpec | None = None
    audience: Any = None


async def check_draft(
    session: AsyncSession, draft: Draft, *, timezone: ZoneInfo, t: Translator | None = None
) -> Checked:
    return await check_file(session, survey_yaml(draft), name=FILE_NAME, timezone=timezone, t=t)


async def check_file(
    session: AsyncSession,
    content: str,
    *,
    name: str,
    timezone: ZoneInfo,
    t: Translator | None = None,
) -> Checked:
    """Read a survey file as `padome surveys create --check` reads it; the problems in the
    language of `t` (English without it)."""
    problems = Problems(t)
    try:
        spec = parse_survey_file(content, name=name, timezone=timezone)
        audience = await resolve_audience(session, spec, name=name)
    except SurveyFileError as error:
        for problem in error.found:
            problems.add(problem)
        return Checked(problems)
    return Checked(problems, spec, audience)


def _local(moment: Any, timezone: ZoneInfo) -> str:
    return moment.astimezone(timezone).strftime(TIME_FORMAT) if moment is not None else ""


def _all_texts(texts: dict[str, str] | None) -> dict[str, str]:
    return {**_texts(), **(texts or {})}


def draft_from_spec(spec: SurveySpec) -> Draft:
    """A checked survey file as a draft in the builder (a file brought in by upload)."""
    draft = Draft(
        title=_all_texts(spec.title),
        description=_all_texts(spec.description),
        units=[slug for slug, _ in spec.unit_slugs or []],
        localities=[name for name, _ in spec.locality_names or []],
        opens=_local(spec.opens_at, spec.timezone),
        closes=_local(spec.closes_at, spec.timezone),
        anonymous=spec.anonymous,
        results=spec.visibility.value,
        remind=str(spec.remind_hours or ""),
    )
    for item in spec.questions:
        question = DraftQuestion(
            kind=item.kind.value,
            text=_all_texts(item.texts),
            required=item.required,
            max=str(item.max_choices or "") if item.kind is QuestionKind.MULTIPLE else "",
            scale=str(item.scale_max or 5),
            low=_all_texts(item.low),
            high=_all_texts(item.high),
            max_length=str(item.max_length or "") if item.kind is QuestionKind.TEXT else "",
            show_if=f"{item.show_if[0] + 1}:{item.show_if[1] + 1}" if item.show_if else "",
        )
        if item.kind.value in CHOICES:
            question.options = [_all_texts(option) for option in item.options]
        draft.questions.append(question)
    return draft


def draft_from_survey(
    survey: Survey,
    *,
    units: dict[int, Unit],
    localities: dict[int, Locality],
    timezone: ZoneInfo,
) -> Draft:
    """A stored survey as a draft: what its file says, for the YAML export."""
    draft = Draft(
        title=_all_texts(survey.title),
        description=_all_texts(survey.description),
        units=[units[unit_id].slug for unit_id in survey.unit_ids or [] if unit_id in units],
        localities=[
            f"{units[localities[item].unit_id].slug}/{localities[item].name}"
            for item in survey.locality_ids or []
            if item in localities and localities[item].unit_id in units
        ],
        opens=_local(survey.opens_at, timezone),
        closes=_local(survey.closes_at, timezone),
        anonymous=survey.anonymous,
        results=survey.visibility,
        remind=str(survey.remind_hours or ""),
    )
    where: dict[int, str] = {}
    for number, stored in enumerate(survey.questions, start=1):
        for option in stored.options:
            where[option.id] = f"{number}:{option.position}"
        question = DraftQuestion(
            kind=stored.kind,
            text=_all_texts(stored.texts),
            required=stored.required,
            max=str(stored.max_choices or "") if stored.kind == QuestionKind.MULTIPLE else "",
            scale=str(stored.scale_max or 5),
            low=_all_texts(stored.low_texts),
            high=_all_texts(stored.high_texts),
            max_length=str(stored.max_length or "") if stored.kind == QuestionKind.TEXT else "",
            show_if=where.get(stored.show_if_option_id or 0, ""),
        )
        if stored.kind in CHOICES:
            question.options = [_all_texts(option.texts) for option in stored.options]
        draft.questions.append(question)
    return draft


# ------------------------------------------------------------------ an uploaded file


def multipart_fields(content_type: str, body: bytes) -> dict[str, str] | None:
    """A posted multipart form's fields, an uploaded file's as its text (UTF-8); None when
    the body is not such a form or a file is not text."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + body
    )
    if not message.is_multipart():
        return None
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename:
            fields[f"{name}_name"] = filename
        try:
            fields[name] = payload.decode("utf-8-sig")
        except UnicodeDecodeError:
            fields[name] = ""
    return fields
