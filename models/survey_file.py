"""Surveys written in a YAML file (`padome surveys create survey.yaml`): read, check, store.

Over 600 lines on purpose: one format's reader with all its checks, each naming its line.

Every mistake is reported with the line and the question it is in, all at once, so a staff
member can fix the file in one go. The format is described in the README and shown in
`examples/survey.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from bot.parsing import NoSuchDate, TimeError, TimeNotUnderstood, horizon_limit, parse_local_time
from models.surveys import (
    DESCRIPTION_MAX,
    LANGUAGES,
    OPTION_MAX,
    OPTIONS_MAX,
    OPTIONS_MIN,
    QUESTION_MAX,
    SCALES,
    TEXT_ANSWER_MAX,
    TITLE_MAX,
    Kind,
    Option,
    Question,
    QuestionKind,
    Status,
    Survey,
    Visibility,
)
from models.territory import list_localities, unit_by_slug

TIME_FORMAT = "%d.%m.%Y %H:%M"
QUESTIONS_MAX = 50
TEXT_LENGTH_DEFAULT = 500
REMIND_HOURS_MAX = 24 * 30
YES = {"lv": "Jā", "ru": "Да", "en": "Yes"}
NO = {"lv": "Nē", "ru": "Нет", "en": "No"}

SURVEY_KEYS = {
    "title",
    "description",
    "audience",
    "opens",
    "closes",
    "anonymous",
    "results",
    "reminder_hours_before_close",
    "questions",
}
QUESTION_KEYS = {
    "key",
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


def _english(message: str, **values: Any) -> str:
    """A message id as the command line shows it: the English original, filled in."""
    return message.format(**values)


@dataclass(frozen=True)
class Problem:
    """One mistake in a survey file: where it is, and what is wrong as a message id with its
    values, so that it reads the same in English (the command line) and in each language
    the staff console speaks. `setting` is the setting it is about, when one is."""

    name: str
    line: int | None
    question: int | None
    message: str
    values: dict[str, Any] = field(default_factory=dict)
    setting: str | None = None

    def said(self, t: Translator | None = None) -> str:
        """What is wrong, without where."""
        return t._(self.message, **self.values) if t else self.message.format(**self.values)

    def text(self, t: Translator | None = None) -> str:
        """`survey.yaml, line 25 (question 4): 'scale' is 5 (1-5) or 10 (1-10), not 7`."""
        said = self.said(t)
        _ = t._ if t else _english
        if self.line is None:
            return _("{file}: {problem}", file=self.name, problem=said)
        if self.question is None:
            return _("{file}, line {line}: {problem}", file=self.name, line=self.line, problem=said)
        return _(
            "{file}, line {line} (question {question}): {problem}",
            file=self.name,
            line=self.line,
            question=self.question,
            problem=said,
        )


class SurveyFileError(Exception):
    """The file cannot be used; `problems` says every reason, each with its line (in English;
    `found` holds them to be told in another language)."""

    def __init__(self, found: list[Problem]) -> None:
        self.found = found
        self.problems = [problem.text() for problem in found]
        super().__init__("\n".join(self.problems))


class _Loader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping and of each of its keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines: dict[int, int] = {}
        self.key_lines: dict[tuple[int, str], int] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=True)
        self.lines[id(mapping)] = node.start_mark.line + 1
        for key_node, _ in node.value:
            self.key_lines[(id(mapping), str(key_node.value))] = key_node.start_mark.line + 1
        return mapping


_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    lambda loader, node: loader.construct_mapping(node),  # type: ignore[attr-defined]
)


@dataclass
class QuestionSpec:
    kind: QuestionKind
    texts: dict[str, str]
    required: bool = True
    options: list[dict[str, str]] = field(default_factory=list)
    max_choices: int | None = None
    scale_max: int | None = None
    low: dict[str, str] | None = None
    high: dict[str, str] | None = None
    max_length: int | None = None
    # (index of the earlier question, index of its option), both from 0
    show_if: tuple[int, int] | None = None


@dataclass
class SurveySpec:
    title: dict[str, str]
    description: dict[str, str] | None
    unit_slugs: list[tuple[str, int]] | None  # slug, line
    locality_names: list[tuple[str, int]] | None  # "unit slug/name", line
    opens_at: datetime | None
    closes_at: datetime
    anonymous: bool
    visibility: Visibility
    remind_hours: int | None
    questions: list[QuestionSpec]
    # The clock the file's times were written in, for telling times back.
    timezone: ZoneInfo


class _Reader:
    def __init__(self, loader: _Loader, name: str) -> None:
        self.loader = loader
        self.name = name
        self.problems: list[Problem] = []

    def line_of(self, mapping: dict[str, Any], key: str | None = None) -> int:
        if key is not None and (id(mapping), key) in self.loader.key_lines:
            return self.loader.key_lines[(id(mapping), key)]
        return self.loader.lines.get(id(mapping), 1)

    def problem(
        self,
        line: int,
        message: str,
        question: int | None = None,
        *,
        setting: str | None = None,
        **values: Any,
    ) -> None:
        """`message` is a message id (marked with N_) with `values` for its placeholders."""
        if setting is None and isinstance(values.get("key"), str):
            setting = values["key"]
        self.problems.append(Problem(self.name, line, question, message, dict(values), setting))

    def texts(
        self,
        mapping: dict[str, Any],
        key: str,
        *,
        limit: int,
        question: int | None = None,
        value: Any = None,
    ) -> dict[str, str] | None:
        """A text in Latvian (a plain string) or in several languages ({lv: ..., ru: ...})."""
        raw = mapping.get(key) if value is None else value
        line = self.line_of(mapping, key)
        if isinstance(raw, (str, int, float)) and not isinstance(raw, bool):
            raw = {"lv": str(raw)}
        if not isinstance(raw, dict):
            self.problem(
                line,
                N_("'{key}' must be a text, or texts by language (lv, ru, en)"),
                question,
                key=key,
            )
            return None
        if isinstance(raw, dict) and id(raw) in self.loader.lines:
            line = self.loader.lines[id(raw)]
        unknown = sorted(str(lang) for lang in raw if lang not in LANGUAGES)
        if unknown:
            self.problem(
                line,
                N_("'{key}' has unknown languages {languages} (use lv, ru, en)"),
                question,
                key=key,
                languages=", ".join(unknown),
            )
        texts = {
            str(lang): " ".join(str(text).split()) if key != "description" else str(text).strip()
            for lang, text in raw.items()
            if lang in LANGUAGES and text is not None and str(text).strip()
        }
        if not texts.get("lv"):
            self.problem(line, N_("'{key}' needs a Latvian text (lv)"), question, key=key)
            return None
        for lang, text in texts.items():
            if len(text) > limit:
                self.problem(
                    line,
                    N_("'{key}' ({language}) is longer than {limit} characters"),
                    question,
                    key=key,
                    language=lang,
                    limit=limit,
                )
        return texts

    def unknown_keys(
        self, mapping: dict[str, Any], allowed: set[str], question: int | None
    ) -> None:
        for key in mapping:
            if str(key) not in allowed:
                self.problem(
                    self.line_of(mapping, str(key)),
                    N_("unknown setting '{name}' (known: {known})"),
                    question,
                    name=str(key),
                    known=", ".join(sorted(allowed)),
                )

    def time(self, mapping: dict[str, Any], key: str, timezone: ZoneInfo) -> datetime | None:
        raw = mapping.get(key)
        if raw is None:
            return None
        try:
            return parse_local_time(str(raw), timezone)
        except TimeNotUnderstood:
            self.problem(
                self.line_of(mapping, key),
                N_("'{key}' must be a date and time like 01.12.2026 18:00, not {written}"),
                key=key,
                written=repr(raw),
            )
        except NoSuchDate as error:
            self.problem(
                self.line_of(mapping, key),
                N_("'{key}': there is no {written}"),
                key=key,
                written=error.written,
            )
        except TimeError as error:
            self.problem(
                self.line_of(mapping, key), N_("'{key}': {reason}"), key=key, reason=str(error)
            )
        return None


def parse_survey_file(content: str, *, name: str, timezone: ZoneInfo) -> SurveySpec:
    """Read and check a survey file; SurveyFileError lists everything that is wrong."""
    loader = _Loader(content)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise SurveyFileError(
            [
                Problem(
                    name,
                    line,
                    None,
                    N_("this is not valid YAML ({reason})"),
                    {"reason": str(error.problem or error)},
                )
            ]
        ) from None
    except yaml.YAMLError as error:
        raise SurveyFileError(
            [Problem(name, None, None, N_("this is not valid YAML ({reason})"), {"reason": error})]
        ) from None
    finally:
        loader.dispose()
    reader = _Reader(loader, name)
    if not isinstance(data, dict):
        raise SurveyFileError(
            [Problem(name, 1, None, N_("the file must start with 'title:' and settings"))]
        )
    reader.unknown_keys(data, SURVEY_KEYS, None)
    title = reader.texts(data, "title", limit=TITLE_MAX) if "title" in data else None
    if "title" not in data:
        reader.problem(1, N_("'title' is missing"), setting="title")
    description = None
    if data.get("description") is not None:
        description = reader.texts(data, "description", limit=DESCRIPTION_MAX)

    units, localities = _audience(reader, data)
    opens_at = reader.time(data, "opens", timezone)
    closes_at = reader.time(data, "closes", timezone)
    if "closes" not in data:
        reader.problem(
            1,
            N_("'closes' is missing: when does the survey close? e.g. 15.12.2026 18:00"),
            setting="closes",
        )
    if opens_at and closes_at and closes_at <= opens_at:
        reader.problem(
            reader.line_of(data, "closes"), N_("'closes' must be after 'opens'"), setting="closes"
        )

    anonymous = data.get("anonymous", True)
    if not isinstance(anonymous, bool):
        reader.problem(
            reader.line_of(data, "anonymous"),
            N_("'anonymous' is true or false"),
            setting="anonymous",
        )
        anonymous = True
    visibility = Visibility.AFTER_CLOSE
    if "results" in data:
        try:
            visibility = Visibility(str(data["results"]))
        except ValueError:
            reader.problem(
                reader.line_of(data, "results"),
                N_("'results' is live, after_close or staff, not {written}"),
                setting="results",
                written=repr(data["results"]),
            )
    remind = data.get("reminder_hours_before_close")
    if remind is not None and (
        isinstance(remind, bool)
        or not isinstance(remind, int)
        or not 1 <= remind <= REMIND_HOURS_MAX
    ):
        reader.problem(
            reader.line_of(data, "reminder_hours_before_close"),
            N_("'reminder_hours_before_close' is a whole number of hours, 1 to {most}"),
            setting="reminder_hours_before_close",
            most=REMIND_HOURS_MAX,
        )
        remind = None

    questions = _questions(reader, data)
    if reader.problems:
        raise SurveyFileError(reader.problems)
    assert title is not None and closes_at is not None
    return SurveySpec(
        title=title,
        description=description,
        unit_slugs=units,
        locality_names=localities,
        opens_at=opens_at,
        closes_at=closes_at,
        anonymous=anonymous,
        visibility=visibility,
        remind_hours=remind,
        questions=questions,
        timezone=timezone,
    )


def _audience(
    reader: _Reader, data: dict[str, Any]
) -> tuple[list[tuple[str, int]] | None, list[tuple[str, int]] | None]:
    raw = data.get("audience", "all")
    line = reader.line_of(data, "audience")
    if raw == "all":
        return None, None
    if not isinstance(raw, dict) or not raw or set(raw) - {"units", "localities"}:
        reader.problem(
            line,
            N_("'audience' is all, or {units} and/or {localities}"),
            setting="audience",
            units="units: [slug, ...]",
            localities="localities: [unit slug/name, ...]",
        )
        return None, None
    found: list[list[tuple[str, int]] | None] = []
    for key in ("units", "localities"):
        items = raw.get(key)
        if items is None:
            found.append(None)
            continue
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list) or not items:
            reader.problem(
                reader.line_of(raw, key),
                N_("'{key}' is a list, e.g. [alsviku, annas]"),
                setting="audience",
                key=key,
            )
            found.append(None)
            continue
        found.append([(str(item).strip(), reader.line_of(raw, key)) for item in items])
    return found[0], found[1]


def _questions(reader: _Reader, data: dict[str, Any]) -> list[QuestionSpec]:
    raw = data.get("questions")
    if not isinstance(raw, list) or not raw:
        reader.problem(
            reader.line_of(data, "questions") if "questions" in data else 1,
            N_("'questions' is missing or empty: list at least one question"),
            setting="questions",
        )
        return []
    if len(raw) > QUESTIONS_MAX:
        reader.problem(
            reader.line_of(data, "questions"),
            N_("at most {most} questions"),
            setting="questions",
            most=QUESTIONS_MAX,
        )
    specs: list[QuestionSpec] = []
    keys: dict[str, int] = {}
    for index, item in enumerate(raw):
        number = index + 1
        if not isinstance(item, dict):
            reader.problem(
                reader.line_of(data, "questions"), N_("a question needs type: and text:"), number
            )
            continue
        spec = _question(reader, item, number, specs, keys)
        if spec is not None:
            specs.append(spec)
            if item.get("key") is not None:
                keys[str(item["key"])] = len(specs) - 1
    return specs


def _question(
    reader: _Reader,
    item: dict[str, Any],
    number: int,
    earlier: list[QuestionSpec],
    keys: dict[str, int],
) -> QuestionSpec | None:
    line = reader.line_of(item)
    reader.unknown_keys(item, QUESTION_KEYS, number)
    try:
        kind = QuestionKind(str(item.get("type")))
    except ValueError:
        reader.problem(
            reader.line_of(item, "type"),
            N_("'type' is single, multiple, scale, yesno or text, not {written}"),
            number,
            setting="type",
            written=repr(item.get("type")),
        )
        return None
    texts = (
        reader.texts(item, "text", limit=QUESTION_MAX, question=number) if "text" in item else None
    )
    if "text" not in item:
        reader.problem(line, N_("'text' (the question) is missing"), number, setting="text")
    required = item.get("required", True)
    if not isinstance(required, bool):
        reader.problem(
            reader.line_of(item, "required"),
            N_("'required' is true or false"),
            number,
            setting="required",
        )
        required = True
    spec = QuestionSpec(kind=kind, texts=texts or {"lv": ""}, required=required)
    allowed = {
        QuestionKind.SINGLE: {"options"},
        QuestionKind.MULTIPLE: {"options", "max"},
        QuestionKind.SCALE: {"scale", "low", "high"},
        QuestionKind.YESNO: set(),
        QuestionKind.TEXT: {"max_length"},
    }[kind]
    for key in ("options", "max", "scale", "low", "high", "max_length"):
        if key in item and key not in allowed:
            reader.problem(
                reader.line_of(item, key),
                N_("'{key}' does not go with a {kind} question"),
                number,
                key=key,
                kind=kind.value,
            )
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        options = item.get("options")
        if not isinstance(options, list) or not OPTIONS_MIN <= len(options) <= OPTIONS_MAX:
            reader.problem(
                reader.line_of(item, "options") if "options" in item else line,
                N_("a {kind} question needs {fewest} to {most} options"),
                number,
                setting="options",
                kind=kind.value,
                fewest=OPTIONS_MIN,
                most=OPTIONS_MAX,
            )
        else:
            for option in options:
                text = reader.texts(
                    item, "options", limit=OPTION_MAX, question=number, value=option
                )
                if text is not None:
                    spec.options.append(text)
            labels = [option["lv"].casefold() for option in spec.options]
            if len(set(labels)) != len(labels):
                reader.problem(
                    reader.line_of(item, "options"),
                    N_("two options are the same"),
                    number,
                    setting="options",
                )
    if kind is QuestionKind.MULTIPLE:
        maximum = item.get("max", len(spec.options) or OPTIONS_MAX)
        if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1:
            reader.problem(
                reader.line_of(item, "max"),
                N_("'max' is a whole number, 1 or more"),
                number,
                setting="max",
            )
        elif spec.options and maximum > len(spec.options):
            reader.problem(
                reader.line_of(item, "max"),
                N_("'max' is {maximum} but there are only {count} options"),
                number,
                setting="max",
                maximum=maximum,
                count=len(spec.options),
            )
        else:
            spec.max_choices = maximum
    if kind is QuestionKind.YESNO:
        spec.options = [dict(YES), dict(NO)]
    if kind is QuestionKind.SCALE:
        scale = item.get("scale", 5)
        if scale not in SCALES or isinstance(scale, bool):
            reader.problem(
                reader.line_of(item, "scale"),
                N_("'scale' is 5 (1-5) or 10 (1-10), not {written}"),
                number,
                setting="scale",
                written=repr(scale),
            )
        else:
            spec.scale_max = scale
        for end in ("low", "high"):
            if end not in item:
                reader.problem(
                    line,
                    N_("a scale needs 'low': what 1 means")
                    if end == "low"
                    else N_("a scale needs 'high': what the top means"),
                    number,
                    setting=end,
                )
        spec.low = (
            reader.texts(item, "low", limit=OPTION_MAX, question=number) if "low" in item else None
        )
        spec.high = (
            reader.texts(item, "high", limit=OPTION_MAX, question=number)
            if "high" in item
            else None
        )
    if kind is QuestionKind.TEXT:
        length = item.get("max_length", TEXT_LENGTH_DEFAULT)
        if (
            isinstance(length, bool)
            or not isinstance(length, int)
            or not 1 <= length <= TEXT_ANSWER_MAX
        ):
            reader.problem(
                reader.line_of(item, "max_length"),
                N_("'max_length' is a number of characters, 1 to {most}"),
                number,
                setting="max_length",
                most=TEXT_ANSWER_MAX,
            )
        else:
            spec.max_length = length
    if "show_if" in item:
        spec.show_if = _show_if(reader, item, number, earlier, keys)
    return spec


def _show_if(
    reader: _Reader,
    item: dict[str, Any],
    number: int,
    earlier: list[QuestionSpec],
    keys: dict[str, int],
) -> tuple[int, int] | None:
    raw = item["show_if"]
    line = reader.line_of(item, "show_if")
    if not isinstance(raw, dict) or set(raw) != {"question", "answer"}:
        reader.problem(
            line,
            N_("'show_if' is {{question: <key or number>, answer: <option>}}"),
            number,
            setting="show_if",
        )
        return None
    target = raw["question"]
    if isinstance(target, int) and not isinstance(target, bool):
        index = target - 1
    else:
        index = keys.get(str(target), -1)
    if not 0 <= index < len(earlier) or index >= number - 1:
        reader.problem(
            line,
            N_("'show_if' must name an earlier question, not {written}"),
            number,
            setting="show_if",
            written=repr(target),
        )
        return None
    condition = earlier[index]
    if condition.kind not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.YESNO):
        reader.problem(
            line,
            N_("'show_if' can depend only on a single, multiple or yesno question"),
            number,
            setting="show_if",
        )
        return None
    answer = raw["answer"]
    if isinstance(answer, bool):
        answer = "Jā" if answer else "Nē"
    if isinstance(answer, int) and 1 <= answer <= len(condition.options):
        return index, answer - 1
    wanted = str(answer).strip().casefold()
    aliases = (
        {"yes": "jā", "no": "nē", "ja": "jā", "ne": "nē"}
        if condition.kind is QuestionKind.YESNO
        else {}
    )
    wanted = aliases.get(wanted, wanted)
    for position, option in enumerate(condition.options):
        if option["lv"].casefold() == wanted:
            return index, position
    reader.problem(
        line,
        N_("'show_if': the earlier question has no option {written}"),
        number,
        setting="show_if",
        written=repr(raw["answer"]),
    )
    return None


def _options_of(item: QuestionSpec) -> list[dict[str, str]]:
    """A scale's values are stored as options 1..N, so that answers are counted alike."""
    if item.kind is QuestionKind.SCALE:
        return [{"lv": str(value)} for value in range(1, (item.scale_max or 5) + 1)]
    return item.options


class NotSchedulable(ValueError):
    """A checked survey whose closing time has passed, or is too far ahead, by now."""

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message.format(**values))
        self.message = message
        self.values = values

    def said(self, t: Translator) -> str:
        return t._(self.message, **self.values)


@dataclass
class Audience:
    unit_ids: list[int] | None
    locality_ids: list[int] | None


async def resolve_audience(session: AsyncSession, spec: SurveySpec, *, name: str) -> Audience:
    """Turn unit slugs and `unit/locality` names into ids; unknown ones are problems."""
    problems: list[Problem] = []
    unit_ids: list[int] | None = None
    locality_ids: list[int] | None = None
    if spec.unit_slugs is not None:
        unit_ids = []
        for slug, line in spec.unit_slugs:
            unit = await unit_by_slug(session, slug.casefold())
            if unit is None:
                problems.append(
                    Problem(
                        name,
                        line,
                        None,
                        N_("no parish or town with the slug {written} (see {command})"),
                        {"written": repr(slug), "command": "`padome units list`"},
                        "audience",
                    )
                )
            else:
                unit_ids.append(unit.id)
    if spec.locality_names is not None:
        locality_ids = []
        for text, line in spec.locality_names:
            slug, _, locality_name = text.partition("/")
            unit = await unit_by_slug(session, slug.strip().casefold())
            found = None
            if unit is not None:
                for locality in await list_localities(session, unit.id):
                    if locality.name.casefold() == locality_name.strip().casefold():
                        found = locality
            if found is None:
                problems.append(
                    Problem(
                        name,
                        line,
                        None,
                        N_("no village or neighbourhood {written} (write {form}; see {command})"),
                        {
                            "written": repr(text),
                            "form": "unit slug/name",
                            "command": "`padome localities list`",
                        },
                        "audience",
                    )
                )
            else:
                locality_ids.append(found.id)
    if problems:
        raise SurveyFileError(problems)
    return Audience(unit_ids, locality_ids)


async def create_survey(
    session: AsyncSession,
    *,
    spec: SurveySpec,
    audience: Audience,
    now: datetime,
    kind: Kind = Kind.SURVEY,
    created_by_id: int | None = None,
) -> Survey:
    """Store a checked survey as scheduled; the scheduler opens it at its time."""
    opens_at = spec.opens_at or now
    if spec.closes_at <= now:
        raise NotSchedulable(N_("the closing time has already passed"))
    if spec.closes_at > horizon_limit(now):
        raise NotSchedulable(
            N_("'closes' is too far ahead: at most two years from now, before {time}"),
            time=horizon_limit(now).astimezone(spec.timezone).strftime(TIME_FORMAT),
        )
    if opens_at < now - timedelta(minutes=1):
        opens_at = now
    survey = Survey(
        kind=kind.value,
        title=spec.title,
        description=spec.description,
        unit_ids=audience.unit_ids,
        locality_ids=audience.locality_ids,
        anonymous=spec.anonymous,
        visibility=spec.visibility.value,
        remind_hours=spec.remind_hours,
        status=Status.SCHEDULED.value,
        opens_at=opens_at,
        closes_at=spec.closes_at,
        created_by_id=created_by_id,
        created_at=now,
    )
    session.add(survey)
    await session.flush()
    stored: list[Question] = []
    for position, item in enumerate(spec.questions, start=1):
        question = Question(
            survey_id=survey.id,
            position=position,
            kind=item.kind.value,
            texts=item.texts,
            required=item.required,
            max_choices=item.max_choices,
            scale_max=item.scale_max,
            max_length=item.max_length,
            low_texts=item.low,
            high_texts=item.high,
            options=[
                Option(position=number, texts=texts)
                for number, texts in enumerate(_options_of(item), start=1)
            ],
        )
        session.add(question)
        await session.flush()
        if item.show_if is not None:
            condition_index, option_index = item.show_if
            question.show_if_option_id = stored[condition_index].options[option_index].id
        stored.append(question)
    await session.flush()
    await session.refresh(survey, ["questions"])
    return survey
