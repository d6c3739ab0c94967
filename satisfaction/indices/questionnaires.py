"""Questionnaire definitions: versioned data files, validated when loaded.

Pure code: no Flask, no database. A definition is a JSON document (see
``satisfaction/data/questionnaires/``) with scales, scored elements and their items, and
unscored extra questions. Item codes are unique in a file; they name the form fields and the
columns of paper-form imports.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

LOCALES = ("vi", "en")
#: The value a form posts for "no opinion"; it is stored as NULL.
NO_OPINION = 0

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
ITEM_CODE_RE = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")
SCALE_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

class QuestionnaireError(ValueError):
    """A data file that does not describe a valid questionnaire; lists every problem."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class Option:
    value: int
    label: Mapping[str, str]


@dataclass(frozen=True)
class Scale:
    code: str
    options: tuple[Option, ...]
    #: Label of the "no opinion" choice, or None when the scale has none.
    no_opinion: Mapping[str, str] | None

    @property
    def values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)

    @cached_property
    def text_values(self) -> frozenset[str]:
        """The values a form may post for this scale, "no opinion" included."""
        posted = {str(option.value) for option in self.options}
        if self.no_opinion is not None:
            posted.add(str(NO_OPINION))
        return frozenset(posted)


@dataclass(frozen=True)
class Item:
    code: str
    text: Mapping[str, str]
    scale: Scale
    required: bool
    #: A higher answer is worse (e.g. "I had to pay informal charges"); scoring flips it.
    reverse: bool = False


@dataclass(frozen=True)
class Group:
    code: str
    label: Mapping[str, str]
    items: tuple[Item, ...]
    #: Scored groups are the index's elements; unscored ones are extra questions.
    scored: bool


@dataclass(frozen=True, eq=False)
class Definition:
    """A validated questionnaire version. Compared and hashed by identity, so caches can
    key on it."""

    code: str
    version: int
    index: str
    source: str
    title: Mapping[str, str]
    intro: Mapping[str, str]
    scales: Mapping[str, Scale]
    elements: tuple[Group, ...]
    extras: tuple[Group, ...]

    @property
    def groups(self) -> tuple[Group, ...]:
        return self.elements + self.extras

    def items(self) -> Iterator[Item]:
        for group in self.groups:
            yield from group.items

    def scored_items(self) -> Iterator[Item]:
        for group in self.elements:
            yield from group.items

    @property
    def scored_scale(self) -> Scale:
        """The one scale of the scored items."""
        return self.elements[0].items[0].scale

    def item(self, code: str) -> Item:
        for item in self.items():
            if item.code == code:
                return item
        raise KeyError(code)


#: How long answering takes, as the form tells the citizen: every word read at a slow
#: reader's pace (120 words a minute, about half an adult's silent reading of Vietnamese or
#: English), each scale's words read once, and a few seconds per answer to find and tap it.
SLOW_READER_WORDS_PER_MINUTE = 120
SECONDS_PER_ANSWER = 4
#: Who answers, which procedure, the dossier code: read with their choices above.
QUESTIONS_BEFORE = 2


def estimated_minutes(definition: Definition, locale: str, required_only: bool = True) -> int:
    """Whole minutes, rounded up, that answering the form takes a slow reader (see the
    constants above); optional extra questions are left out unless asked for."""
    items = [item for item in definition.items() if item.required or not required_only]
    texts = [text(definition.title, locale), text(definition.intro, locale)]
    texts += [text(item.text, locale) for item in items]
    scales = {item.scale.code: item.scale for item in items}
    for scale in scales.values():
        texts += [text(option.label, locale) for option in scale.options]
        if scale.no_opinion:
            texts.append(text(scale.no_opinion, locale))
    words = sum(len(t.split()) for t in texts)
    seconds = (words / SLOW_READER_WORDS_PER_MINUTE * 60
               + SECONDS_PER_ANSWER * (len(items) + QUESTIONS_BEFORE))
    return max(1, -(-int(seconds) // 60))


def text(mapping: Mapping[str, str], locale: str | None) -> str:
    """The text for a locale, falling back to Vietnamese."""
    return mapping.get(locale or "vi") or mapping["vi"]


def checksum(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON form, so formatting changes do not count as edits."""
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class _Checker:
    """Reads a questionnaire document, collecting every problem rather than stopping at
    the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.seen_groups: set[str] = set()
        self.seen_items: set[str] = set()

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def localised(self, value: Any, where: str) -> dict[str, str]:
        if not isinstance(value, Mapping):
            self.fail(f"{where}: expected an object with 'vi' and 'en' texts")
            return {locale: "" for locale in LOCALES}
        result = {}
        for locale in LOCALES:
            entry = value.get(locale)
            if not isinstance(entry, str) or not entry.strip():
                self.fail(f"{where}: missing the '{locale}' text")
                entry = ""
            elif not unicodedata.is_normalized("NFC", entry):
                self.fail(f"{where}.{locale}: text is not in Unicode NFC form")
            result[locale] = entry
        return result

    def header(self, data: Mapping[str, Any]) -> tuple[str, int, str, str]:
        """The document's code, version, index and source text."""
        code = data.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            self.fail("code: lowercase letters, digits and dashes, 2-63 characters")
            code = str(code)
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.fail("version: a positive integer")
            version = 0
        index = data.get("index")
        if not isinstance(index, str) or not index:
            self.fail("index: the code of the index this questionnaire feeds")
            index = ""
        source_text = data.get("source", "")
        if not isinstance(source_text, str):
            self.fail("source: a text")
            source_text = ""
        return code, version, index, source_text

    def scales(self, raw_scales: Any) -> dict[str, Scale]:
        if not isinstance(raw_scales, Mapping) or not raw_scales:
            self.fail("scales: at least one scale")
            raw_scales = {}
        return {scale_code: self.scale(scale_code, raw)
                for scale_code, raw in raw_scales.items()}

    def scale(self, scale_code: str, raw: Any) -> Scale:
        where = f"scales.{scale_code}"
        if not SCALE_CODE_RE.match(scale_code):
            self.fail(f"{where}: scale codes are lowercase identifiers")
        raw_options = raw.get("options") if isinstance(raw, Mapping) else None
        if not isinstance(raw_options, list) or len(raw_options) < 2:
            self.fail(f"{where}.options: at least two options")
            raw_options = []
        options = []
        for position, raw_option in enumerate(raw_options):
            value = raw_option.get("value") if isinstance(raw_option, Mapping) else None
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 99:
                self.fail(f"{where}.options[{position}].value: an integer from 1 to 99")
                continue
            label = self.localised(raw_option.get("label"), f"{where}.options[{position}]")
            options.append(Option(value, label))
        values = [option.value for option in options]
        if len(set(values)) != len(values):
            self.fail(f"{where}: option values must be unique")
        no_opinion = raw.get("no_opinion") if isinstance(raw, Mapping) else None
        if no_opinion is not None:
            no_opinion = self.localised(no_opinion, f"{where}.no_opinion")
        return Scale(scale_code, tuple(options), no_opinion)

    def groups(self, data: Mapping[str, Any], key: str, scored: bool,
               scales: Mapping[str, Scale]) -> tuple[Group, ...]:
        raw_groups = data.get(key)
        if not isinstance(raw_groups, list):
            self.fail(f"{key}: a list")
            return ()
        if scored and not raw_groups:
            self.fail(f"{key}: at least one element")
        groups = []
        for g_pos, raw_group in enumerate(raw_groups):
            where = f"{key}[{g_pos}]"
            if not isinstance(raw_group, Mapping):
                self.fail(f"{where}: an object")
                continue
            group_code = raw_group.get("code")
            if not isinstance(group_code, str) or not ITEM_CODE_RE.match(group_code):
                self.fail(f"{where}.code: an uppercase code")
                group_code = str(group_code)
            elif group_code in self.seen_groups:
                self.fail(f"{where}.code: '{group_code}' is used twice")
            self.seen_groups.add(group_code)
            label = self.localised(raw_group.get("label"), f"{where}.label")
            raw_items = raw_group.get("items")
            if not isinstance(raw_items, list) or not raw_items:
                self.fail(f"{where}.items: at least one item")
                raw_items = []
            items = [self.item(raw_item, f"{where}.items[{i_pos}]", scored, scales)
                     for i_pos, raw_item in enumerate(raw_items)]
            groups.append(Group(group_code, label, tuple(i for i in items if i), scored))
        return tuple(groups)

    def item(self, raw_item: Any, where: str, scored: bool,
             scales: Mapping[str, Scale]) -> Item | None:
        if not isinstance(raw_item, Mapping):
            self.fail(f"{where}: an object")
            return None
        item_code = raw_item.get("code")
        if not isinstance(item_code, str) or not ITEM_CODE_RE.match(item_code):
            self.fail(f"{where}.code: an uppercase code such as A1")
            return None
        if item_code in self.seen_items:
            self.fail(f"{where}.code: '{item_code}' is used twice")
        self.seen_items.add(item_code)
        item_text = self.localised(raw_item.get("text"), f"{where}.text")
        scale = scales.get(raw_item.get("scale"))
        if scale is None:
            self.fail(f"{where}.scale: unknown scale {raw_item.get('scale')!r}")
            return None
        required = raw_item.get("required", scored)
        if not isinstance(required, bool):
            self.fail(f"{where}.required: true or false")
            required = scored
        reverse = raw_item.get("reverse", False)
        if not isinstance(reverse, bool):
            self.fail(f"{where}.reverse: true or false")
            reverse = False
        return Item(item_code, item_text, scale, required, reverse)


def parse_definition(data: Any, source: str = "<questionnaire>") -> Definition:
    """Validate a questionnaire document and build its definition.

    Raises ``QuestionnaireError`` listing every problem found, not just the first.
    """
    check = _Checker()
    if not isinstance(data, Mapping):
        raise QuestionnaireError(source, ["the document must be a JSON object"])
    code, version, index, source_text = check.header(data)
    title = check.localised(data.get("title"), "title")
    intro = check.localised(data.get("intro"), "intro")
    scales = check.scales(data.get("scales"))
    elements = check.groups(data, "elements", True, scales)
    extras = check.groups(data, "extras", False, scales) if "extras" in data else ()
    scored_scales = {item.scale.code for group in elements for item in group.items}
    if len(scored_scales) > 1:
        check.fail(f"elements: scored items must share one scale, not {sorted(scored_scales)}")
    if check.problems:
        raise QuestionnaireError(source, check.problems)
    return Definition(
        code=code,
        version=version,
        index=index,
        source=source_text,
        title=title,
        intro=intro,
        scales=scales,
        elements=elements,
        extras=extras,
    )
