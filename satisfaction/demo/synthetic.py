"""Synthetic responses for demonstrations and benchmarks (never mixed into real data
silently: they carry the channel "web" and the locale "vi", and ``flask seed responses``
says how many it made).

Rows are written in bulk (COPY on PostgreSQL, executemany on SQLite) and the per-day
counts are merged in at the end, so a million responses take minutes, not hours.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from satisfaction import clock
from satisfaction.catalogue.lookup import definition_of
from satisfaction.counts.updates import NO_OPINION_KEY, add_counts
from satisfaction.db.responses import Response
from satisfaction.db.units import Counter, Unit
from satisfaction.extensions import db
from satisfaction.indices import respondents


@dataclass(frozen=True)
class Place:
    unit_id: int
    counter_id: int | None
    #: Chance that an answer is 4 or 5 at this unit.
    quality: float
    #: The days the unit existed: answers fall only on those (None: always).
    valid_from: date | None = None
    valid_to: date | None = None

    def open_on(self, day: date) -> bool:
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or day <= self.valid_to))


def places_of_demo(rng: random.Random) -> list[Place]:
    """Every unit with its counters (a unit without one answers on the web), each open while
    its unit existed: a ward merged away gets answers until its last day, its successor from
    its first."""
    rows = db.session.execute(
        sa.select(Unit.id, Counter.id, Unit.valid_from, Unit.valid_to)
        .outerjoin(Counter, Counter.unit_id == Unit.id)
    ).all()
    return [Place(unit_id, counter_id, rng.uniform(0.78, 0.97), valid_from, valid_to)
            for unit_id, counter_id, valid_from, valid_to in rows]


def any_response() -> bool:
    """Whether any response is stored (the demo adds synthetic ones only to an empty one)."""
    return db.session.scalar(sa.select(sa.exists().where(Response.id.is_not(None))))


#: What citizens write in the free-text box, by how the visit went; about one in twelve
#: writes something, more often after a bad visit.
COMMENTS_GOOD = (
    "Cán bộ hướng dẫn tận tình, chu đáo.",
    "Thủ tục nhanh gọn, trả kết quả đúng hẹn.",
    "Nơi tiếp dân sạch sẽ, có đủ chỗ ngồi chờ.",
    "Rất hài lòng, cảm ơn các anh chị ở bộ phận một cửa.",
    "Nộp hồ sơ trực tuyến thuận tiện, không phải đi lại nhiều.",
)
COMMENTS_BAD = (
    "Phải chờ lâu, nên mở thêm quầy vào giờ cao điểm.",
    "Hồ sơ bị trả lại nhiều lần, hướng dẫn chưa rõ ràng.",
    "Thiếu chỗ để xe và chỗ ngồi chờ cho người cao tuổi.",
    "Trả kết quả trễ hẹn mà không được báo trước.",
    "Máy lấy số thứ tự hay bị hỏng, không biết đến lượt mình.",
)


def _comment(rng: random.Random, given: dict[str, int | None]) -> str | None:
    low = sum(1 for value in given.values() if value is not None and value <= 3)
    if rng.random() >= (0.2 if low * 4 >= len(given) else 0.06):
        return None
    return rng.choice(COMMENTS_BAD if low * 4 >= len(given) else COMMENTS_GOOD)


def _answer(rng: random.Random, quality: float) -> int | None:
    r = rng.random()
    if r < 0.03:
        return None
    if r < 0.03 + quality * 0.97:
        return 5 if rng.random() < 0.45 else 4
    return rng.choice((1, 2, 3, 3, 3))


def generate(
    version_id: int,
    count: int,
    start: date,
    end: date,
    *,
    places: Sequence[Place] | None = None,
    seed: int = 1,
    batch: int = 20_000,
    progress=None,
) -> int:
    """Add ``count`` responses between ``start`` and ``end`` (local days) and count them."""
    from satisfaction.db.catalogue import QuestionnaireVersion

    rng = random.Random(seed)
    # Comments draw from their own sequence: the answers of a seed stay what they were.
    comment_rng = random.Random(seed + 7919)
    version = db.session.get(QuestionnaireVersion, version_id)
    definition = definition_of(version.id, version.checksum)
    items = [item.code for item in definition.scored_items()]
    places = list(places or places_of_demo(rng))
    if not any(place.open_on(start) or place.open_on(end)
               or (place.valid_from and start <= place.valid_from <= end) for place in places):
        raise ValueError("no unit existed in the period")
    days = (end - start).days + 1
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    next_id = (connection.execute(sa.select(sa.func.max(Response.id))).scalar() or 0) + 1
    daily: dict[tuple, int] = {}
    responses: dict[tuple, int] = {}
    made = 0
    while made < count:
        size = min(batch, count - made)
        response_rows, answer_rows = [], []
        for _ in range(size):
            place = rng.choice(places)
            day = start + timedelta(days=rng.randrange(days))
            while not place.open_on(day):
                place = rng.choice(places)
                day = start + timedelta(days=rng.randrange(days))
            moment = datetime.combine(day, time(7, 30), clock.LOCAL_TZ) + timedelta(
                seconds=rng.randrange(10 * 3600)
            )
            response_rows.append({
                "id": next_id, "submission_key": uuid.UUID(int=rng.getrandbits(128)).hex,
                "questionnaire_version_id": version_id, "unit_id": place.unit_id,
                "counter_id": place.counter_id, "respondent_kind": "citizen",
                "channel": "web", "locale": "vi",
                "submitted_at": moment.astimezone(UTC).replace(tzinfo=None),
                "status": "accepted", "comment": None,
            })
            key = (day, place.unit_id, version_id)
            responses[key] = responses.get(key, 0) + 1
            given = {}
            for code in items:
                value = given[code] = _answer(rng, place.quality)
                answer_rows.append((next_id, code, value))
                k = (day, place.unit_id, version_id, code, value or NO_OPINION_KEY)
                daily[k] = daily.get(k, 0) + 1
            response_rows[-1]["comment"] = _comment(comment_rng, given)
            for (code, value), n in respondents.pseudo_counts(definition, given).items():
                k = (day, place.unit_id, version_id, code, value)
                daily[k] = daily.get(k, 0) + n
            next_id += 1
        _write(connection, postgres, response_rows, answer_rows)
        made += size
        if progress:
            progress(made)
    add_counts(responses, daily)
    if postgres:
        connection.execute(sa.text(
            "SELECT setval(pg_get_serial_sequence('response', 'id'), "
            "(SELECT max(id) FROM response))"
        ))
    return made


def _write(connection, postgres: bool, response_rows: list[dict], answer_rows: list[tuple]):
    columns = list(response_rows[0])
    if postgres:
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY response ({', '.join(columns)}) FROM STDIN") as copy:
                for row in response_rows:
                    copy.write_row([row[c] for c in columns])
            with cursor.copy("COPY answer (response_id, item_code, value) FROM STDIN") as copy:
                for row in answer_rows:
                    copy.write_row(row)
        return
    raw = connection.connection.driver_connection
    placeholders = ", ".join("?" for _ in columns)
    raw.executemany(
        f"INSERT INTO response ({', '.join(columns)}) VALUES ({placeholders})",
        [[_sqlite(row[c]) for c in columns] for row in response_rows],
    )
    raw.executemany("INSERT INTO answer (response_id, item_code, value) VALUES (?, ?, ?)",
                    answer_rows)


def _sqlite(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value
