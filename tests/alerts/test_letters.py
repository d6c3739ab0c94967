"""The alert e-mails as the catalogue writes them (issue 18): a criterion, an element, a
decline seen only in recent days, and an escalation, in Vietnamese and English, compared
with reviewed copies in ``letters/`` (UPDATE_LETTERS=1 rewrites them after a review); and
the link of a real e-mail opens the acknowledgement form for the ward's manager."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from factories import sign_in
from test_alerts import run_check, wards  # noqa: F401  (the fixture)

from satisfaction.alerts.notify import compose
from satisfaction.db.alerts import Alert, AlertRule
from satisfaction.db.units import Unit
from satisfaction.extensions import db

LETTERS = Path(__file__).parent / "letters"


def finding(measure: str, value: float, n: int = 120) -> dict:
    return {"measure": measure, "value": value, "low": value - 6.1, "high": value + 5.8,
            "n": n, "p": 1e-6, "kind": "sequential"}


CASES = {
    "criterion": dict(measure="C1", value=61.2, findings=[finding("C1", 61.2),
                                                          finding("C4", 72.5)]),
    "element": dict(measure="C", value=78.4, findings=[finding("C", 78.4, 720),
                                                       finding("", 86.0, 2640)]),
    "decline": dict(measure="", value=91.5, findings=[finding("", 91.5, 300)]),
}


def letter_alert(app, measure: str, value: float, findings: list[dict]) -> Alert:
    rule = db.session.scalar(sa.select(AlertRule).where(
        AlertRule.questionnaire_code == "sipas-2640"))
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "Q1-BN"))
    alert = Alert(rule=rule, unit=unit, measure=measure, findings=findings, value=value,
                  low=value - 6.1, high=value + 5.8, n=findings[0]["n"], target=90.0,
                  window_start=date(2026, 3, 2), window_end=date(2026, 3, 31),
                  opened_at=datetime(2026, 3, 31, 1, 30, tzinfo=UTC), state="open")
    alert.id = 42
    return alert


def check_letter(name: str, text: str) -> None:
    path = LETTERS / f"{name}.txt"
    if os.environ.get("UPDATE_LETTERS"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no reviewed copy of {name}: run with UPDATE_LETTERS=1, review"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("case", [*CASES, "escalation"])
def test_letters_match_their_reviewed_copies(app, demo, monkeypatch, case, locale):
    monkeypatch.setitem(app.config, "BASE_URL", "https://khaosat.q1.example.vn")
    with app.app_context():
        spec = CASES.get(case, CASES["criterion"])
        alert = letter_alert(app, **spec)
        kind = "escalated" if case == "escalation" else "opened"
        letter = compose(alert, kind, locale)
        db.session.rollback()
    check_letter(f"{case}.{locale}", f"Subject: {letter.subject}\n\n{letter.text}")
    assert "<a href=\"https://khaosat.q1.example.vn/admin/alerts/42\">" in letter.html
    assert not re.search(r"\de-\d|\bp\s*=|giá trị p", letter.text)  # no p-values
    if locale == "vi":
        assert not re.search(r"\d\.\d %|\d{1,3},\d{3}\b", letter.text)  # Vietnamese numbers


@pytest.mark.usefixtures("wards")
def test_the_emailed_link_opens_the_acknowledgement_form(app, runner, client, smtp):
    run_check(runner)
    message = next(m for rcpt, m in smtp.messages if rcpt == ["bennghe@q1.example.vn"])
    body = message.get_body(("plain",)).get_content()
    link = re.search(r"https://khaosat\.q1\.example\.vn(/admin/alerts/\d+)", body).group(1)
    sign_in(client, "bn@q1.example.vn")
    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'action="{link}/acknowledge"' in html
    assert message.get_body(("html",)) is not None
