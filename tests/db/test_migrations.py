"""Migrations on a database that already holds data (the production case on SQLite,
where batch migrations rebuild tables that other tables point to)."""

from __future__ import annotations

import flask_migrate
import sqlalchemy as sa

from satisfaction.app import create_app
from satisfaction.extensions import db


def test_upgrading_a_sqlite_database_with_answers_keeps_every_row(tmp_path):
    app = create_app({"APP_ENV": "testing",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})
    with app.app_context():
        flask_migrate.upgrade(revision="0005")
        rows = [
            "INSERT INTO unit (id, code, kind, name_vi, name_en, valid_from, created_at) "
            "VALUES (1, 'Q1-BN', 'ward', 'Phường Bến Nghé', 'Ben Nghe Ward', '2020-01-01', "
            "'2026-01-01 00:00:00')",
            "INSERT INTO counter (id, unit_id, code, name_vi, name_en, is_active, created_at) "
            "VALUES (1, 1, 'MC1', 'Một cửa', 'One-stop', 1, '2026-01-01 00:00:00')",
            "INSERT INTO questionnaire (id, code, index_code, title_vi, title_en) "
            "VALUES (1, 'q', 'sipas', 'Phiếu', 'Form')",
            "INSERT INTO questionnaire_version (id, questionnaire_id, version, definition, "
            "checksum, loaded_at) VALUES (1, 1, 1, '{}', 'x', '2026-01-01 00:00:00')",
            "INSERT INTO qr_token (id, token, counter_id, questionnaire_id, created_at) "
            "VALUES (1, 'tok', 1, 1, '2026-01-01 00:00:00')",
            "INSERT INTO response (id, submission_key, questionnaire_version_id, unit_id, "
            "counter_id, qr_token_id, respondent_kind, channel, locale, submitted_at, status) "
            "VALUES (1, 'k', 1, 1, 1, 1, 'citizen', 'qr', 'vi', '2026-01-02 00:00:00', "
            "'accepted')",
            "INSERT INTO answer (response_id, item_code, value) VALUES (1, 'A1', 5), (1, 'A2', 4)",
            "INSERT INTO daily_count (day, unit_id, questionnaire_version_id, item_code, value, "
            "count) VALUES ('2026-01-02', 1, 1, 'A1', 5, 1), ('2026-01-02', 1, 1, 'A2', 4, 1)",
        ]
        with db.engine.begin() as conn:
            for row in rows:
                conn.exec_driver_sql(row)
        flask_migrate.upgrade(revision="0006")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE response SET verified = 1")
            conn.exec_driver_sql(
                "INSERT INTO dossier (code_hash, unit_id, received_on, returned_on, imported_at) "
                "VALUES ('h1', 1, '2026-01-01', '2026-01-05', '2026-01-06 00:00:00'), "
                "('h2', 1, '2026-01-02', NULL, '2026-01-06 00:00:00')")
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            # 0007 counts what 0006 stored (the answer was sent at 07:00 in Ho Chi Minh City).
            assert conn.execute(sa.text("SELECT day, unit_id, count FROM verified_day_count")
                                ).all() == [("2026-01-02", 1, 1)]
            assert sorted(conn.execute(sa.text(
                "SELECT day, state, count FROM dossier_day_count")).all()) == [
                ("2026-01-02", "open", 1), ("2026-01-05", "returned", 1)]
            count = lambda table: conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: E731
            assert [count(t) for t in ("unit", "counter", "qr_token", "response", "answer")] == [
                1, 1, 1, 1, 2]
            assert conn.scalar(sa.text("SELECT channel FROM qr_token")) == "qr"
            assert conn.scalar(sa.text("SELECT status FROM response")) == "accepted"
            # 0008 stores the count tables in their primary key, rows kept.
            assert sorted(conn.execute(sa.text(
                "SELECT item_code, value, count FROM daily_count")).all()) == [
                ("A1", 5, 1), ("A2", 4, 1)]
            for table in COUNT_TABLES:
                assert _schema(conn, table).endswith("WITHOUT ROWID"), table
            assert _schema(conn, "ix_response_dossier_hash").endswith(
                "WHERE dossier_hash IS NOT NULL")
            # Foreign keys are enforced again on this connection's successors.
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        flask_migrate.downgrade(revision="0005")
        with db.engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM answer")) == 2
            assert conn.scalar(sa.text("SELECT sum(count) FROM daily_count")) == 2
            assert "WITHOUT ROWID" not in _schema(conn, "daily_count")
        db.engine.dispose()


COUNT_TABLES = ("daily_count", "daily_response_count", "verified_day_count",
                "dossier_day_count", "monthly_count", "monthly_response_count")


def _schema(conn, name: str) -> str:
    return conn.scalar(sa.text("SELECT sql FROM sqlite_master WHERE name = :name"),
                       {"name": name}).strip()
