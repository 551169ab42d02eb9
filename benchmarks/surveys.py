"""Survey results: a 10-question survey with 100,000 responses, counted on SQLite and PostgreSQL.

    .venv/bin/python -m benchmarks.surveys [--responses 100000] [--residents 14000]
        [--backend sqlite|postgresql|both]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

A fresh database is made for each backend (a temporary SQLite file; on PostgreSQL a new
database `padome_bench_<random>`, dropped afterwards) and migrated. One survey is stored the
way `padome surveys create` stores it: 4 single-choice questions, 2 multiple-choice (up to 3 of
5), a 1-5 and a 1-10 scale, a yes/no question and a free-text one. The responses (a tenth of
them on paper) and their answer rows are then loaded in bulk, with the registered residents
of the 16 units. What is timed is `compute_results`, the function behind the staff's results in
chat, `padome surveys show` and the exports: counts by question, option, unit and origin,
response rates per unit and the first 2,000 free-text answers.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy.engine import make_url

from bot import db
from models.base import utcnow
from models.survey_file import Audience, QuestionSpec, SurveySpec, create_survey
from models.survey_results import compute_results
from models.surveys import QuestionKind, Visibility, get_survey

RUNS = 7
TARGET_SECONDS = 0.5
TEXTS = ["Jāsalabo Dzirnavu iela", "Vairāk apgaismojuma", "Ietve līdz skolai", "Paldies!"]


def survey_spec() -> SurveySpec:
    def texts(text: str) -> dict[str, str]:
        return {"lv": text}

    questions = [
        QuestionSpec(
            kind=QuestionKind.SINGLE,
            texts=texts(f"Vienas izvēles jautājums {number}"),
            options=[texts(f"Atbilde {letter}") for letter in "ABCD"],
        )
        for number in range(1, 5)
    ]
    questions += [
        QuestionSpec(
            kind=QuestionKind.MULTIPLE,
            texts=texts(f"Vairāku izvēļu jautājums {number}"),
            options=[texts(f"Variants {letter}") for letter in "ABCDE"],
            max_choices=3,
        )
        for number in range(1, 3)
    ]
    questions += [
        QuestionSpec(
            kind=QuestionKind.SCALE,
            texts=texts(f"Skala 1-{top}"),
            scale_max=top,
            low=texts("slikti"),
            high=texts("labi"),
        )
        for top in (5, 10)
    ]
    questions.append(
        QuestionSpec(
            kind=QuestionKind.YESNO,
            texts=texts("Jā vai nē?"),
            options=[{"lv": "Jā"}, {"lv": "Nē"}],
        )
    )
    questions.append(
        QuestionSpec(kind=QuestionKind.TEXT, texts=texts("Ko vēl?"), required=False, max_length=500)
    )
    now = utcnow()
    return SurveySpec(
        title=texts("Etalona aptauja"),
        description=None,
        unit_slugs=None,
        locality_names=None,
        opens_at=now,
        closes_at=now + timedelta(days=14),
        anonymous=True,
        visibility=Visibility.STAFF,
        remind_hours=None,
        questions=questions,
        timezone=ZoneInfo("Europe/Riga"),
    )


async def make_survey(url: str) -> tuple[int, list[dict[str, Any]]]:
    """Migrate, store the survey; return its id and its questions' ids, kinds and options."""
    engine = db.create_engine(url)
    try:
        await db.upgrade(engine)
        sessionmaker = db.create_sessionmaker(engine)
        async with sessionmaker() as session, session.begin():
            survey = await create_survey(
                session,
                spec=survey_spec(),
                audience=Audience(None, None),
                now=utcnow(),
            )
            questions = [
                {
                    "id": question.id,
                    "kind": question.kind,
                    "options": [option.id for option in question.options],
                }
                for question in survey.questions
            ]
            return survey.id, questions
    finally:
        await engine.dispose()


def generate(
    survey_id: int, questions: list[dict[str, Any]], responses: int, residents: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Rows for residents, responses and answers (ids given, so both backends load the same)."""
    rng = random.Random(20261125)
    consented = utcnow()
    resident_rows = [
        (number, "lv", 1 + number % 16, True, consented, consented)
        for number in range(1, residents + 1)
    ]
    response_rows = []
    answer_rows = []
    answer_id = 0
    for response_id in range(1, responses + 1):
        unit = rng.randint(1, 16)
        paper = response_id % 10 == 0
        origin = "paper" if paper else "chat"
        response_rows.append((response_id, survey_id, unit, origin, "sent", "{}"))
        for question in questions:
            kind = question["kind"]
            picks: list[tuple[int | None, str | None]] = []  # option, text
            if kind in ("single", "yesno"):
                picks.append((rng.choice(question["options"]), None))
            elif kind == "multiple":
                chosen = rng.sample(question["options"], rng.randint(1, 3))
                picks.extend((option, None) for option in chosen)
                picks.append((None, None))  # the respondent row
            elif kind == "scale":
                picks.append((rng.choice(question["options"]), None))
            elif rng.random() < 0.3:
                picks.append((None, rng.choice(TEXTS)))
            for option, text in picks:
                answer_id += 1
                answer_rows.append(
                    (answer_id, response_id, survey_id, question["id"], option, text, unit, paper)
                )
    return resident_rows, response_rows, answer_rows


RESIDENT_COLUMNS = ["id", "language", "unit_id", "subscribed", "consented_at", "created_at"]
RESPONSE_COLUMNS = ["id", "survey_id", "unit_id", "origin", "status", "draft"]
ANSWER_COLUMNS = [
    "id",
    "response_id",
    "survey_id",
    "question_id",
    "option_id",
    "text",
    "unit_id",
    "paper",
]


def load_sqlite(path: Path, rows: tuple[list[Any], list[Any], list[Any]]) -> None:
    residents, responses, answers = rows
    connection = sqlite3.connect(path)
    try:
        with connection:
            naive = [
                (*row[:4], row[4].replace(tzinfo=None), row[5].replace(tzinfo=None))
                for row in residents
            ]
            for table, columns, data in (
                ("residents", RESIDENT_COLUMNS, naive),
                ("survey_responses", RESPONSE_COLUMNS, responses),
                ("survey_answers", ANSWER_COLUMNS, answers),
            ):
                marks = ", ".join("?" for _ in columns)
                connection.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", data
                )
        connection.execute("ANALYZE")
    finally:
        connection.close()


async def load_postgres(dsn: str, rows: tuple[list[Any], list[Any], list[Any]]) -> None:
    residents, responses, answers = rows
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "residents", records=residents, columns=RESIDENT_COLUMNS
        )
        await connection.copy_records_to_table(
            "survey_responses", records=responses, columns=RESPONSE_COLUMNS
        )
        await connection.copy_records_to_table(
            "survey_answers", records=answers, columns=ANSWER_COLUMNS
        )
        # What autovacuum does soon after a bulk load: statistics and the visibility map.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def time_results(url: str, survey_id: int) -> list[float]:
    engine = db.create_engine(url)
    try:
        sessionmaker = db.create_sessionmaker(engine)
        timings = []
        for run in range(RUNS + 1):
            async with sessionmaker() as session:
                survey = await get_survey(session, survey_id)
                assert survey is not None
                started = time.perf_counter()
                results = await compute_results(session, survey)
                elapsed = time.perf_counter() - started
            if run:  # the first run warms the caches
                timings.append(elapsed)
        print(
            f"    {results.responses:,} responses ({results.paper:,} on paper), "
            f"{sum(q.answered for q in results.questions):,} answers counted, "
            f"{results.registered:,} registered residents"
        )
        return timings
    finally:
        await engine.dispose()


def report(name: str, timings: list[float]) -> bool:
    median = statistics.median(timings)
    worst = max(timings)
    verdict = "OK" if worst < TARGET_SECONDS else "TOO SLOW"
    print(
        f"  {name}: results in {median * 1000:.0f} ms median, "
        f"{min(timings) * 1000:.0f} ms best, {worst * 1000:.0f} ms worst of {len(timings)} runs "
        f"(target under {TARGET_SECONDS * 1000:.0f} ms): {verdict}"
    )
    return worst < TARGET_SECONDS


async def bench_sqlite(responses: int, residents: int) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        survey_id, questions = await make_survey(url)
        rows = generate(survey_id, questions, responses, residents)
        started = time.perf_counter()
        load_sqlite(path, rows)
        print(
            f"SQLite: {len(rows[2]):,} answer rows loaded in {time.perf_counter() - started:.1f} s"
        )
        return report("SQLite", await time_results(url, survey_id))


async def bench_postgres(base_url: str, responses: int, residents: int) -> bool:
    name = f"padome_bench_{uuid.uuid4().hex[:10]}"
    admin_dsn = (
        make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        survey_id, questions = await make_survey(url)
        rows = generate(survey_id, questions, responses, residents)
        started = time.perf_counter()
        await load_postgres(dsn, rows)
        print(
            f"PostgreSQL ({name}): {len(rows[2]):,} answer rows loaded in "
            f"{time.perf_counter() - started:.1f} s"
        )
        return report("PostgreSQL", await time_results(url, survey_id))
    finally:
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    # The municipality has about 14,000 inhabitants: all of them registered.
    parser.add_argument("--residents", type=int, default=14_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    passed = True
    if args.backend in ("sqlite", "both"):
        passed &= await bench_sqlite(args.responses, args.residents)
    if args.backend in ("postgresql", "both"):
        passed &= await bench_postgres(args.postgres_url, args.responses, args.residents)
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    asyncio.run(main())
