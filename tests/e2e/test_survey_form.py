"""The citizen's two minutes (issue 17), measured in Debian's Chromium on a 360 × 740 phone:
the form in at most 6 steps of at most 2 screens, large type and touch targets, at most 30
taps; errors a person can fix; larger text that holds; no serious accessibility fault."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, playwright, survey_url

pytestmark = pytest.mark.server

SCREEN = {"width": 360, "height": 740}
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def browser():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def phone(browser, javascript: bool = False, viewport=SCREEN, **options):
    context = browser.new_context(viewport=viewport, is_mobile=True, has_touch=True,
                                  java_script_enabled=javascript, locale="vi-VN", **options)
    return context.new_page()


def press(page, value: str) -> None:
    with page.expect_navigation():
        page.locator(f"div.step:not([hidden]) button[value={value}]").click()


def visible(page, selector: str):
    return page.locator(f"div.step:not([hidden]) {selector}")


def measure(page) -> dict:
    return page.evaluate("""() => ({
        height: document.documentElement.scrollHeight,
        width: document.documentElement.scrollWidth,
        legend: Math.min(...[...document.querySelectorAll('div.step:not([hidden]) legend')]
            .map(e => parseFloat(getComputedStyle(e).fontSize))),
        text: Math.min(...[...document.querySelectorAll(
            'div.step:not([hidden]) label.choice, div.step:not([hidden]) p, main p')]
            .map(e => parseFloat(getComputedStyle(e).fontSize))),
        targets: Math.min(...[...document.querySelectorAll(
            'div.step:not([hidden]) label.choice, div.step:not([hidden]) button, select')]
            .filter(e => e.offsetParent !== null)
            .map(e => e.getBoundingClientRect().height)),
    })""")


def answer_step(page, step: int) -> int:
    """Answer what the step shows, as a person taps; returns the taps."""
    if step == 1:
        page.get_by_label("Người dân").check()
        page.select_option("#procedure_field", "chung-thuc")
        return 2
    criteria = visible(page, "fieldset.criterion").all()
    for criterion in criteria:
        criterion.locator("label.choice", has_text=re.compile("^Hài lòng$")).click()
    return len(criteria)


def walk(page, shots: Path | None = None, name: str = "step") -> list[dict]:
    """Every step, answered and sent; what each measured before it was answered."""
    steps, taps = [], 0
    for step in range(1, 10):
        figures = measure(page)
        figures["taps_so_far"] = taps
        steps.append(figures)
        if shots is not None:
            page.screenshot(path=str(shots / f"{name}-{step}.png"), full_page=True)
        taps += answer_step(page, step)
        last = visible(page, "button[value=send]").count() == 1
        press(page, "send" if last else "next")
        taps += 1
        if last:
            break
    steps[-1]["taps"] = taps
    return steps


def test_the_form_fits_the_thumb(server, browser, tmp_path):
    page = phone(browser)
    page.goto(survey_url(server))
    steps = walk(page, tmp_path)
    assert page.url.endswith("/thanks")
    report = json.dumps(steps)
    assert len(steps) <= 6, report
    for figures in steps:
        assert figures["height"] <= 2 * SCREEN["height"], report
        assert figures["width"] <= SCREEN["width"], report
        assert figures["text"] >= 16 and figures["targets"] >= 44, report
    assert min(f["legend"] for f in steps[1:]) >= 18, report
    assert steps[-1]["taps"] <= 30, report
    # On a 320 px phone nothing scrolls sideways.
    narrow = phone(browser, viewport={"width": 320, "height": 640})
    narrow.goto(survey_url(server))
    assert all(f["width"] <= 320 for f in walk(narrow)), "horizontal scroll at 320 px"


def test_missing_answers_take_focus_to_the_summary(server, browser):
    page = phone(browser, javascript=True)
    page.goto(survey_url(server))
    # Required answers are marked, for assistive technology and visibly.
    assert page.locator("#respondent_kind-0[required]").count() == 1
    assert page.locator("#procedure_field[required]").count() == 1
    assert "Câu có dấu * là câu bắt buộc trả lời." in page.inner_text("main")
    press(page, "next")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    summary = page.inner_text("#error-summary")
    assert "Ông/Bà vui lòng kiểm tra lại 2 câu trả lời" in summary
    assert ".:" not in summary and ". —" not in summary
    # Each item with an error says so beside it, and its link leads there.
    assert page.locator("#q-respondent_kind p.error").count() == 1
    assert page.get_attribute("#respondent_kind-0", "aria-invalid") == "true"
    page.click("#error-summary a[href='#q-procedure_field']")
    assert page.url.endswith("#q-procedure_field")


def overlaps(page) -> list[str]:
    """Choices that overlap one another, or whose words are cut off."""
    return page.evaluate("""() => {
        const bad = [];
        for (const set of document.querySelectorAll('div.step:not([hidden]) .choices')) {
            const boxes = [...set.querySelectorAll('label.choice')]
                .map(e => [e, e.getBoundingClientRect()]);
            for (const [e, r] of boxes) {
                if (e.scrollWidth > e.clientWidth + 1) bad.push('cut: ' + e.textContent.trim());
                for (const [f, s] of boxes) {
                    const apart = r.right - 1 <= s.left || s.right - 1 <= r.left
                        || r.bottom - 1 <= s.top || s.bottom - 1 <= r.top;
                    if (e !== f && !apart) bad.push('overlap: ' + e.textContent.trim());
                }
            }
        }
        return bad;
    }""")


def test_larger_text_and_200_percent_zoom_hold(server, browser, tmp_path):
    page = phone(browser)
    page.goto(survey_url(server))
    with page.expect_navigation():
        page.get_by_role("link", name="Chữ lớn").click()
    assert page.evaluate("document.documentElement.className") == "large-text"
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "28.8px"
    for step in range(1, 7):
        figures = measure(page)
        page.screenshot(path=str(tmp_path / f"large-{step}.png"), full_page=True)
        assert figures["width"] <= SCREEN["width"] and not overlaps(page), (step, figures)
        answer_step(page, step)
        if step < 6:
            press(page, "next")
    # Browser zoom 200 %: the same page on half the CSS pixels.
    zoomed = phone(browser, viewport={"width": 180, "height": 370})
    zoomed.goto(survey_url(server))
    for step in range(1, 3):
        assert measure(zoomed)["width"] <= 180 and not overlaps(zoomed), step
        answer_step(zoomed, step)
        press(zoomed, "next")


def axe_findings(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']});
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
    }""")
    return result


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is installed by make install (npm)")
def test_no_serious_accessibility_fault(server, browser):
    page = phone(browser, javascript=True, bypass_csp=True)
    page.goto(survey_url(server))
    assert axe_findings(page) == []
    press(page, "next")  # errors shown
    assert axe_findings(page) == []
    answer_step(page, 1)
    press(page, "next")
    assert axe_findings(page) == []
