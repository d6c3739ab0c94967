"""Loading reference data into the database: questionnaires, procedure fields, the demo.

Every function here is idempotent: running it again reuses what is there. Helpers only
flush; the caller (a CLI command or a test) commits.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from satisfaction.db.accounts import Role, User
from satisfaction.db.catalogue import IndexDefinition, Questionnaire, QuestionnaireVersion
from satisfaction.db.codes import Channel, QrToken
from satisfaction.db.responses import Response
from satisfaction.db.units import Counter, ProcedureField, Unit, UnitKind
from satisfaction.extensions import db
from satisfaction.indices.questionnaires import (
    QuestionnaireError,
    checksum,
    load_file,
    shipped_files,
)
from satisfaction.qrcodes import new_short_code, new_token

DATA_DIR = Path(__file__).parent / "data"
DEMO_ADMIN_EMAIL = "admin@q1.example.vn"
#: The questionnaire printed on every counter's code in the demo.
DEMO_QUESTIONNAIRE = "sipas-2640"


def sync_questionnaires(paths: list[Path] | None = None) -> list[str]:
    """Load questionnaire data files into the database; returns what was done, per file.

    A version already stored with the same content is left alone. A changed file for a
    version that has responses is refused: the change must be published as a new version.
    """
    report = []
    for path in paths if paths is not None else shipped_files():
        raw, definition = load_file(path)
        questionnaire = db.session.scalar(
            sa.select(Questionnaire).where(Questionnaire.code == definition.code)
        )
        if questionnaire is None:
            questionnaire = Questionnaire(code=definition.code)
            db.session.add(questionnaire)
        # The family's title and index follow its newest version.
        newest = max((v.version for v in questionnaire.versions), default=0)
        if definition.version >= newest:
            questionnaire.index_code = definition.index
            questionnaire.title_vi = definition.title["vi"]
            questionnaire.title_en = definition.title["en"]
        digest = checksum(raw)
        stored = next((v for v in questionnaire.versions if v.version == definition.version), None)
        if stored is None:
            db.session.add(
                QuestionnaireVersion(
                    questionnaire=questionnaire,
                    version=definition.version,
                    definition=raw,
                    checksum=digest,
                )
            )
            report.append(f"{definition.code} v{definition.version}: loaded")
        elif stored.checksum == digest:
            report.append(f"{definition.code} v{definition.version}: unchanged")
        else:
            has_responses = db.session.scalar(
                sa.select(sa.exists().where(Response.questionnaire_version_id == stored.id))
            )
            if has_responses:
                raise QuestionnaireError(
                    path.name,
                    [
                        f"version {definition.version} already has responses and cannot change; "
                        f"publish the change as version {newest + 1}"
                    ],
                )
            stored.definition = raw
            stored.checksum = digest
            report.append(f"{definition.code} v{definition.version}: updated (no responses yet)")
        db.session.flush()
    return report


class CatalogueError(ValueError):
    """An index catalogue entry that does not fit the questionnaires or the units."""


def sync_indices(path: Path = DATA_DIR / "indices.json") -> list[str]:
    """Load the index catalogue; checks each entry against its questionnaires and owner."""
    from satisfaction.indices import scoring
    from satisfaction.reports import source_of

    entries = json.loads(path.read_text(encoding="utf-8"))
    existing = {i.code: i for i in db.session.scalars(sa.select(IndexDefinition))}
    report = []
    for position, entry in enumerate(entries):
        code = entry["code"]
        index = existing.get(code) or IndexDefinition(code=code)
        owner = db.session.scalar(sa.select(Unit).where(Unit.code == entry.get("owner")))
        if entry.get("owner") and owner is None:
            raise CatalogueError(f"{code}: unknown owner unit {entry['owner']!r}")
        if entry["method"] not in scoring.METHODS:
            raise CatalogueError(f"{code}: unknown scoring method {entry['method']!r}")
        index.name_vi, index.name_en = entry["name"]["vi"], entry["name"]["en"]
        index.owner_unit_id = owner.id if owner else None
        index.audience = ",".join(entry.get("audience", []))
        index.target = float(entry["target"])
        index.method = entry["method"]
        index.params = entry.get("params", {})
        index.questionnaire_codes = list(entry["questionnaires"])
        index.scale_min = float(entry["scale"]["min"])
        index.scale_max = float(entry["scale"]["max"])
        index.scale_unit = entry["scale"].get("unit", "")
        index.note_vi = entry.get("note", {}).get("vi", "")
        index.note_en = entry.get("note", {}).get("en", "")
        index.position = position
        if not index.scale_min <= index.target <= index.scale_max:
            raise CatalogueError(f"{code}: target {index.target} is outside its scale")
        db.session.add(index)
        db.session.flush()
        for questionnaire_code in index.questionnaire_codes:
            source = source_of(index, questionnaire_code)
            # Scoring empty counts checks the method's parameters against the structure.
            try:
                scoring.score(index.method, source.structure, {}, index.params)
            except ValueError as exc:
                raise CatalogueError(f"{code}/{questionnaire_code}: {exc}") from exc
        report.append(f"{code}: {'updated' if code in existing else 'loaded'}")
    return report


def sync_procedure_fields(path: Path = DATA_DIR / "procedure_fields.json") -> int:
    """Insert or rename the procedure fields listed in the data file; returns how many."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    existing = {f.code: f for f in db.session.scalars(sa.select(ProcedureField))}
    for position, row in enumerate(rows):
        field = existing.get(row["code"]) or ProcedureField(code=row["code"])
        field.name_vi = row["name"]["vi"]
        field.name_en = row["name"]["en"]
        field.position = position
        db.session.add(field)
    db.session.flush()
    return len(rows)


def _upsert_unit(code: str, **values) -> Unit:
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == code))
    if unit is None:
        unit = Unit(code=code, **values)
        db.session.add(unit)
        db.session.flush()
    return unit


@dataclass
class DemoSummary:
    admin_email: str
    #: The generated password, only when the administrator was created by this call.
    admin_password: str | None
    survey_tokens: dict[str, str]


def seed_district1(
    path: Path = DATA_DIR / "district1.json", *, valid_from: date | None = None
) -> DemoSummary:
    """The District 1 demo: the district, its offices, 10 wards with a counter and QR code
    each, the shipped questionnaires and procedure fields, and an administrator."""
    sync_questionnaires()
    sync_procedure_fields()
    data = json.loads(path.read_text(encoding="utf-8"))
    start = valid_from or date.fromisoformat(data["district"].get("valid_from", "2000-01-01"))

    district_row = data["district"]
    district = _upsert_unit(
        district_row["code"],
        kind=UnitKind.DISTRICT.value,
        name_vi=district_row["name"]["vi"],
        name_en=district_row["name"]["en"],
        email=district_row.get("email"),
        valid_from=start,
    )
    wards = []
    for kind, rows in ((UnitKind.OFFICE, data["offices"]), (UnitKind.WARD, data["wards"])):
        for row in rows:
            unit = _upsert_unit(
                row["code"],
                kind=kind.value,
                name_vi=row["name"]["vi"],
                name_en=row["name"]["en"],
                email=row.get("email"),
                parent_id=district.id,
                valid_from=start,
            )
            if kind is UnitKind.WARD:
                wards.append(unit)

    questionnaire = db.session.scalar(
        sa.select(Questionnaire).where(Questionnaire.code == DEMO_QUESTIONNAIRE)
    )
    counter_name = data["counters"]["name"]
    tokens: dict[str, str] = {}
    for unit in [district, *wards]:
        counter = db.session.scalar(
            sa.select(Counter).where(Counter.unit_id == unit.id, Counter.code == "MC1")
        )
        if counter is None:
            counter = Counter(
                unit=unit, code="MC1", name_vi=counter_name["vi"], name_en=counter_name["en"]
            )
            db.session.add(counter)
            db.session.flush()
        # The current printed code: a rotated one (replaced, in its grace period) is not.
        token = db.session.scalar(
            sa.select(QrToken)
            .where(
                QrToken.counter_id == counter.id,
                QrToken.questionnaire_id == questionnaire.id,
                QrToken.channel == Channel.QR.value,
                QrToken.revoked_at.is_(None),
                QrToken.replaced_by_id.is_(None),
            )
            .order_by(QrToken.id)
            .limit(1)
        )
        if token is None:
            token = QrToken(
                token=new_token(), counter=counter, questionnaire=questionnaire, label="SIPAS"
            )
            db.session.add(token)
        if token.short_code is None:
            # Codes seeded before short codes existed get one too.
            token.short_code = new_short_code()
        db.session.flush()
        tokens[unit.code] = token.token

    password = None
    admin = db.session.scalar(sa.select(User).where(User.email == DEMO_ADMIN_EMAIL))
    if admin is None:
        password = secrets.token_urlsafe(12)
        admin = User(
            email=DEMO_ADMIN_EMAIL,
            name="Quản trị hệ thống",
            role=Role.ADMIN.value,
            password_hash=generate_password_hash(password),
            unit_id=district.id,
        )
        db.session.add(admin)
        db.session.flush()
    sync_indices()
    _seed_alert_rule()
    return DemoSummary(DEMO_ADMIN_EMAIL, password, tokens)


def _seed_alert_rule() -> None:
    """The demo's SIPAS rule: 90 % over the last 30 days, at least 30 answers, 5 % FDR."""
    from satisfaction.alerts import add_rule
    from satisfaction.db.alerts import AlertRule

    if db.session.scalar(sa.select(sa.func.count()).select_from(AlertRule)) == 0:
        add_rule(index_code="sipas", target=90, window="30d", min_n=30, false_flag_rate=0.05)
