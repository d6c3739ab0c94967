"""Helpers shared by the tests: reading forms the way a browser does, counting rows."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import sqlalchemy as sa

from satisfaction.extensions import db


class FormReader(HTMLParser):
    """Reads a page's form the way a browser would: inputs, radios, selects, textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.checked: dict[str, str] = {}
        self.selects: dict[str, list[str]] = {}
        self.selected: dict[str, str] = {}
        self.textareas: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") == "radio":
            self.radios.setdefault(a["name"], []).append(a["value"])
            if "checked" in a:
                self.checked[a["name"]] = a["value"]
        elif tag == "select":
            self._select = a["name"]
            self.selects[self._select] = []
        elif tag == "option" and self._select:
            self.selects[self._select].append(a.get("value", ""))
            if "selected" in a:
                self.selected[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.textareas[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.textareas[self._textarea] += data


def read_form(html: str) -> FormReader:
    reader = FormReader()
    reader.feed(html)
    return reader


ITEM_CODE = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")


def filled_survey(html: str, value: str = "4", **overrides) -> dict[str, str]:
    """Answers every item of the rendered questionnaire with ``value``, as a person would
    by tapping; other fields get plausible choices. ``overrides`` win."""
    form = read_form(html)
    data = dict(form.hidden)
    for name, values in form.radios.items():
        if ITEM_CODE.match(name):
            data[name] = value if value in values else values[0]
    data["respondent_kind"] = "citizen"
    data["procedure_field"] = "ho-tich"
    data["comment"] = ""
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
