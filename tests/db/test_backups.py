"""Backups that restore (issue 19): a copy taken while answers are being stored holds every
answer acknowledged before the backup began, and `flask restore` brings it back."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
import sqlalchemy as sa
from factories import gen_response

from satisfaction.config import normalise_database_url
from satisfaction.db.backups import backup, restore
from satisfaction.db.responses import Response
from satisfaction.extensions import db


def test_a_backup_under_load_restores_every_answer_acknowledged_before_it(
        app, demo, runner, tmp_path, database_url):
    stored: list[tuple[float, int]] = []
    stop = threading.Event()

    def writer():
        with app.app_context():
            while not stop.is_set():
                response = gen_response("Q1-BN", date(2026, 3, 10))
                db.session.commit()
                stored.append((time.monotonic(), response.id))
            db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(stored) < 20:
            time.sleep(0.01)
        began = time.monotonic()
        result = runner.invoke(args=["backup", "--out", str(tmp_path / "copy.backup")])
        assert result.exit_code == 0, result.output
    finally:
        stop.set()
        thread.join()
    acknowledged = {rid for at, rid in stored if at < began}
    assert len(acknowledged) >= 20 and len(stored) > len(acknowledged)  # it kept writing

    # Lose everything, then bring the copy back.
    with app.app_context():
        db.session.execute(sa.text("DELETE FROM answer"))
        db.session.execute(sa.delete(Response))
        db.session.commit()
        db.engine.dispose()  # the app servers are stopped for a restore
    result = runner.invoke(args=["restore", "--from", str(tmp_path / "copy.backup"), "--yes"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        db.engine.dispose()
        back = set(db.session.scalars(sa.select(Response.id)))
        assert acknowledged <= back
        assert all(db.session.get(Response, rid).answers for rid in acknowledged)


def test_a_missing_file_or_database_is_a_clear_error(app_ctx, tmp_path, runner):
    result = runner.invoke(args=["restore", "--from", str(tmp_path / "none.backup"), "--yes"])
    assert result.exit_code != 0 and "does not exist" in result.output
    with pytest.raises(Exception, match="in-memory"):
        backup("sqlite:///:memory:", tmp_path / "x.db")
    with pytest.raises(Exception, match="no backup file"):
        restore(normalise_database_url("sqlite:///" + str(tmp_path / "db.sqlite")),
                tmp_path / "missing.db")

