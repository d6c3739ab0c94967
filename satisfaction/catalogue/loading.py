"""Loading the catalogue's data files into the database: questionnaire versions, the index
catalogue, procedure fields.

Every function here is idempotent: running it again reuses what is there. Helpers only
flush; the caller (a CLI command or a test) commits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from satisfaction.catalogue.lookup import source_of
from satisfaction.db.catalogue import IndexDefinition, Questionnaire, QuestionnaireVersion
from satisfaction.db.responses import Response
from satisfaction.db.units import ProcedureField, Unit
from satisfaction.extensions import db
from satisfaction.indices import scoring
from satisfaction.indices.questionnaires import (
    Definition,
    QuestionnaireError,
    checksum,
    parse_definition,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
QUESTIONNAIRES_DIR = DATA_DIR / "questionnaires"


def load_file(path: Path) -> tuple[dict[str, Any], Definition]:
    """Read and validate one data file; returns the raw document and its definition."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QuestionnaireError(str(path), [f"cannot read JSON: {exc}"]) from exc
    return raw, parse_definition(raw, source=path.name)


def shipped_files() -> list[Path]:
    """The questionnaire data files shipped with the product, in a stable order."""
    return sorted(QUESTIONNAIRES_DIR.glob("*.json"))


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


def sync_indices(path: Path = DATA_DIR / "indices.json",
                 owners: dict[str, str] | None = None) -> list[str]:
    """Load the index catalogue; checks each entry against its questionnaires and owner.
    ``owners`` (index code -> unit code) replaces the file's owner offices, for a
    deployment whose offices are not District 1's of 2022."""
    entries = json.loads(path.read_text(encoding="utf-8"))
    existing = {i.code: i for i in db.session.scalars(sa.select(IndexDefinition))}
    report = []
    for position, entry in enumerate(entries):
        code = entry["code"]
        index = existing.get(code) or IndexDefinition(code=code)
        owner_code = (owners or {}).get(code, entry.get("owner"))
        owner = db.session.scalar(sa.select(Unit).where(Unit.code == owner_code))
        if owner_code and owner is None:
            raise CatalogueError(f"{code}: unknown owner unit {owner_code!r}")
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
