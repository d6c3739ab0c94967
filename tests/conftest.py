"""Fixtures: the app on SQLite (default) or PostgreSQL (``TEST_DATABASE_URL``).

The schema is built by the real migrations once per run; each test that touches the
database starts from empty tables, and requests commit for real, as in production.
"""

from __future__ import annotations

import os

import flask_migrate
import pytest
import sqlalchemy as sa
from mailserver import smtp_server
from settings import RELAXED_INTEGRITY
from snapshot import Snapshot, reset_between_tests

from satisfaction.app import create_app
from satisfaction.config import normalise_database_url
from satisfaction.demo.city import seed_city_demo
from satisfaction.demo.district import seed_district1
from satisfaction.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")




@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


def _drop_everything(url: str) -> None:
    engine = sa.create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        meta.drop_all(conn)
    engine.dispose()


@pytest.fixture(scope="session")
def app(database_url):
    _drop_everything(database_url)
    app = create_app({
        "APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url, **RELAXED_INTEGRITY,
        # Not the address a `make run` in this checkout wrote to instance/base_url.
        "BASE_URL": "",
        # Tests change codes in the database and look at once; the cache has its own tests.
        "SURVEY_CODE_CACHE_SECONDS": 0,
        # A cheap hash for the many accounts the tests make (scrypt costs 0.1 s a hash);
        # checking reads the method from each stored hash, as in production.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def clean_db(app):
    """Empty tables after the test, whatever it did."""
    yield
    reset_between_tests(app)


@pytest.fixture
def smtp(app):
    """A real SMTP server the app sends its e-mail to; its ``messages`` are what arrived."""
    yield from smtp_server(app)


@pytest.fixture
def client(app, clean_db):
    return app.test_client()


@pytest.fixture
def runner(app, clean_db):
    return app.test_cli_runner()


@pytest.fixture
def app_ctx(app, clean_db):
    with app.app_context():
        yield app


@pytest.fixture(scope="session")
def seeded() -> dict:
    """Each demo as the first test that needed it seeded it: its summary and its rows."""
    return {}


def _seeded(app, seeded: dict, name: str, seed):
    """A demo, committed: seeded by the first test that asks for it, put back from a copy of
    its rows for the others (``snapshot``)."""
    with app.app_context():
        if name not in seeded:
            summary = seed()
            db.session.commit()
            with db.engine.connect() as conn:
                seeded[name] = (summary, Snapshot.take(conn))
        else:
            with db.engine.begin() as conn:
                seeded[name][1].restore(conn)
    return seeded[name][0]


@pytest.fixture
def demo(app, clean_db, seeded):
    """District 1 as the official letter of 2022 knew it: 10 wards, no end date."""
    return _seeded(app, seeded, "district1", seed_district1)


@pytest.fixture
def city_demo(app, clean_db, seeded):
    """The demo of ``make run``: District 1 until 30 June 2025, its 4 new wards after."""
    return _seeded(app, seeded, "city", seed_city_demo)


@pytest.fixture
def ward_token(demo) -> str:
    return demo.survey_tokens["Q1-BN"]


@pytest.fixture
def survey(client, ward_token):
    """Opens the ward's survey and returns (path, html)."""
    path = f"/s/{ward_token}"
    response = client.get(path)
    assert response.status_code == 200
    return path, response.get_data(as_text=True)
