"""Numbers on the pages: the kept patterns format exactly as Flask-Babel does."""

from __future__ import annotations

import flask_babel
import pytest
from flask_babel import force_locale

from satisfaction.web.numbers import format_decimal

VALUES = (0, 7, 87.25, 87.35, 99.95, 1234567.25, -3.5, 1e-9, 2_500_000)


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("pattern", [None, "#,##0", "#,##0.0", "#,##0.00"])
def test_same_text_as_flask_babel(app, locale, pattern):
    with app.test_request_context(), force_locale(locale):
        for value in VALUES:
            assert format_decimal(value, format=pattern) == flask_babel.format_decimal(
                value, format=pattern), (value, pattern)


def test_vietnamese_separators(app):
    with app.test_request_context(), force_locale("vi"):
        assert format_decimal(1234567.25, format="#,##0.0") == "1.234.567,2"
    with app.test_request_context(), force_locale("en"):
        assert format_decimal(1234567.25, format="#,##0.0") == "1,234,567.2"
