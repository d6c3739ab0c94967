"""A real browser (Debian's Chromium driven by Playwright) on a small phone, without
JavaScript, as many respondents are: large text, real radio buttons with words, keyboard."""

from __future__ import annotations

import os
import re
import shutil

import pytest
import sqlalchemy as sa

from satisfaction.db.responses import Response
from satisfaction.extensions import db

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.server

if not os.path.exists(CHROMIUM):
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Chromium (apt-get install chromium): see .ci/run")
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def phone(tmp_path):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 360, "height": 740},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            java_script_enabled=False,
            locale="vi-VN",
        )
        page = context.new_page()
        yield page
        context.close()
        browser.close()


def survey_url(server) -> str:
    return re.search(r"Survey:\s+(\S+)", server["seed_output"]).group(1)


def visible_criteria(page) -> list[str]:
    return [e.get_attribute("id")[2:] for e in
            page.locator("div.step:not([hidden]) fieldset.criterion").all()]


def press(page, value: str) -> None:
    with page.expect_navigation():
        page.locator(f"div.step:not([hidden]) button[value={value}]").click()


def test_answer_on_a_small_phone_without_javascript(server, phone, app, tmp_path):
    page = phone
    page.goto(survey_url(server))
    # Bến Nghé's code of 2022 answers for Phường Sài Gòn since the 2025 merger.
    assert "Phường Sài Gòn" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "survey-step1.png"))

    # The honeypot is in the form for scripts, not on the screen for people.
    assert page.locator("#website").count() == 1 and not page.is_visible("#website")

    # Step 1: who answers, about which procedure.
    page.get_by_label("Người dân").check()
    page.select_option("#procedure_field", "chung-thuc")
    press(page, "next")

    # Large text and touch targets; every radio has a visible word label.
    legend = page.locator("#q-A1 legend").bounding_box()
    choice = page.locator("#q-A1 label.choice").first.bounding_box()
    assert choice["height"] >= 44, choice
    assert legend["height"] >= 22  # a line of text of at least 18 px
    labels = page.locator("#q-A1 label.choice").all_inner_texts()
    assert [label.strip() for label in labels] == [
        "Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng",
        "Không có ý kiến",
    ]

    # Continue without answering: the step comes back with its four questions to answer,
    # each marked beside it, the summary first on the page.
    press(page, "next")
    assert "Ông/Bà vui lòng kiểm tra lại 4 câu trả lời" in page.inner_text("main")
    assert page.locator(".error-summary li").count() == 4
    assert page.locator("div.step:not([hidden]) p.error").count() == 4
    page.screenshot(path=str(tmp_path / "survey-error.png"), full_page=True)

    # Tap the words, as people do, for every criterion but the last; Back keeps answers.
    codes = []
    while True:
        here = visible_criteria(page)
        codes += here
        for code in here:
            page.locator(f"#q-{code} label.choice", has_text=re.compile("^Hài lòng$")).click()
        if page.locator("div.step:not([hidden]) button[value=send]").count():
            break
        press(page, "next")
    assert len(codes) == 22
    press(page, "back")
    press(page, "next")
    assert page.is_checked(f"#{codes[-1]}-3")

    # Keyboard only for the last one: focus it, arrow to the fourth choice.
    last = codes[-1]
    page.focus(f"#{last}-0")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    assert page.is_checked(f"#{last}-3")

    page.focus("div.step:not([hidden]) button[value=send]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/thanks$"))
    assert "Cảm ơn Ông/Bà đã trả lời khảo sát" in page.inner_text("main")

    with app.app_context():
        responses = db.session.scalars(sa.select(Response)).all()
        assert len(responses) == 1
        answers = {a.item_code: a.value for a in responses[0].answers}
        assert set(answers.values()) == {4} and len(answers) == 22
        assert responses[0].procedure_field.code == "chung-thuc"

    # English on the link of every page.
    page.get_by_role("link", name="English").click()
    assert "Thank you" in page.inner_text("main")


def test_a_kiosk_left_idle_goes_back_to_an_empty_form(server, app, tmp_path):
    """The tablet at the counter: a half-answered form is wiped after the idle time (2 s
    here), so the next citizen never sees it."""
    from satisfaction.db.codes import QrToken

    with app.app_context():
        qr = db.session.scalar(sa.select(QrToken).where(QrToken.channel == "qr"))
        kiosk = QrToken(token="kiosk-e2e-token", counter_id=qr.counter_id,
                        questionnaire_id=qr.questionnaire_id, channel="kiosk")
        db.session.add(kiosk)
        db.session.commit()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 800, "height": 1280}, locale="vi-VN")
        page.goto(server["base"] + "/k/kiosk-e2e-token")
        page.get_by_label("Người dân").check()
        assert page.is_checked("#respondent_kind-0")
        page.wait_for_timeout(1000)
        page.select_option("#procedure_field", "chung-thuc")
        page.wait_for_timeout(1000)  # activity restarted the clock: still there
        assert page.is_checked("#respondent_kind-0")
        page.wait_for_timeout(4000)  # idle: back to an empty form
        page.wait_for_load_state()
        assert not page.is_checked("#respondent_kind-0")
        assert page.input_value("#procedure_field") != "chung-thuc"
        browser.close()
