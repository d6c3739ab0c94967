"""The offices' pages on every screen (issue 16, item 6): on a 360 px phone no page scrolls
sideways (a wide table scrolls inside its box); printed on A4 landscape no table is cut."""

from __future__ import annotations

import pytest
from factories import PASSWORD, set_password
from test_browser import CHROMIUM, CHROMIUM_ARGS, playwright

pytestmark = pytest.mark.server

PAGES = ("/admin/reports/sipas/HCM?period=2025", "/admin/reports/sipas/Q1?period=2024",
         "/admin/alerts/", "/admin/alerts/rules", "/admin/qr/", "/admin/users")


def test_the_offices_pages_fit_a_phone_and_print_on_a4(server, app, tmp_path):
    email = "admin@hcm.example.vn"
    set_password(app, email)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 360, "height": 740}, locale="vi-VN")
        page.goto(server["base"] + "/admin/login")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Đăng nhập").click()
        for path in PAGES:
            page.goto(server["base"] + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
        page.emulate_media(media="print")
        for path in PAGES[:2]:
            page.goto(server["base"] + path)
            cut = page.evaluate("""() => {
                const width = document.documentElement.clientWidth + 1;
                return [...document.querySelectorAll('main table')].filter(t =>
                    t.getBoundingClientRect().right > width
                    || t.scrollWidth > t.clientWidth + 1).length; }""")
            assert cut == 0, path
            page.pdf(path=str(tmp_path / "report.pdf"), format="A4", landscape=True)
        browser.close()
