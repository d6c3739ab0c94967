"""Scoring: from answer counts to index values.

Pure code, standard library only (no Flask, no database, no numpy), so that the pages, the
API, the exports, the CLI and the alerts all compute an index with the same formula.

The input is a count of answers per item and answer value::

    counts = {"A1": {1: 2, 2: 3, 3: 5, 4: 20, 5: 10, None: 4}, "A2": {...}, ...}

where the key ``None`` counts "no opinion" answers. An item missing from ``counts`` has no
answers. Items present in ``counts`` but not in the structure (for example unscored extra
questions) are ignored. A unit with no answers for an item gets the value ``None`` for that
item, never 0; an element whose items all have no value is ``None`` too.

Four methods, one per index family (see ``docs/domain.md``):

- ``top_two_box``: SIPAS (and the business support index), 0-100;
- ``weighted_subindices``: PCI-style weighted sub-indices, 10-100;
- ``dimension_sum``: PAPI-style sum of 1-10 dimensions, 8-80 for eight dimensions;
- ``points_share``: the survey part of PAR INDEX, 0 to the points available.

Bad data is never scored silently: an answer value outside the scale, a negative count, a
count or value that is not an integer raises ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "METHODS",
    "Counts",
    "Distribution",
    "ElementScore",
    "ElementSpec",
    "IndexScore",
    "ItemScore",
    "ItemSpec",
    "Structure",
    "dimension_sum",
    "points_share",
    "rescale_1_10",
    "score",
    "top_two_box",
    "weighted_subindices",
]

Distribution = Mapping[int | None, int]
"""Answer value -> number of answers; the key ``None`` counts "no opinion" answers."""
Counts = Mapping[str, Distribution]
"""Item code -> its distribution; a missing item has no answers."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_number(value: Any, what: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"{what}: expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{what}: must be a finite number greater than 0, got {value!r}")
    return number


# --- the structure of an index --------------------------------------------------------------


@dataclass(frozen=True)
class ItemSpec:
    """A scored item (criterion, indicator). ``reverse``: a higher answer is worse, e.g.
    "had to pay informal charges"; every method then counts from the other end of the scale.
    """

    code: str
    reverse: bool = False


@dataclass(frozen=True)
class ElementSpec:
    """An element (SIPAS element, PCI sub-index, PAPI dimension, PAR field) and its items."""

    code: str
    items: tuple[ItemSpec, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.items, tuple):
            object.__setattr__(self, "items", tuple(self.items))


@dataclass(frozen=True)
class Structure:
    """Elements and items of an index, on one answer scale ``scale_min..scale_max``.

    Checked when built: at least one element, every element has at least one item, element
    codes unique, item codes unique across the whole structure, integer scale bounds with
    ``scale_min < scale_max``. Any violation raises ``ValueError``.
    """

    elements: tuple[ElementSpec, ...]
    scale_min: int = 1
    scale_max: int = 5

    def __post_init__(self) -> None:
        if not isinstance(self.elements, tuple):
            object.__setattr__(self, "elements", tuple(self.elements))
        _check_structure(self)


def _check_structure(structure: Structure) -> None:
    if not _is_int(structure.scale_min) or not _is_int(structure.scale_max):
        raise ValueError("the scale bounds must be integers")
    if structure.scale_min >= structure.scale_max:
        raise ValueError(
            f"scale_min ({structure.scale_min}) must be below scale_max ({structure.scale_max})"
        )
    if not structure.elements:
        raise ValueError("a structure needs at least one element")
    element_codes: set[str] = set()
    item_codes: set[str] = set()
    for element in structure.elements:
        if not isinstance(element, ElementSpec):
            raise ValueError(f"expected an ElementSpec, got {element!r}")
        if element.code in element_codes:
            raise ValueError(f"element code {element.code!r} is used twice")
        element_codes.add(element.code)
        if not element.items:
            raise ValueError(f"element {element.code!r} has no items")
        for item in element.items:
            if not isinstance(item, ItemSpec):
                raise ValueError(f"expected an ItemSpec in {element.code!r}, got {item!r}")
            if item.code in item_codes:
                raise ValueError(f"item code {item.code!r} is used twice")
            item_codes.add(item.code)


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemScore:
    """One item's answers and value.

    ``n`` counts answers on the scale (no-opinion excluded); ``distribution`` has every scale
    value ``scale_min..scale_max``, zeros included; ``mean`` is the mean answer on the scale
    as given (not reversed); ``value`` is the item's value under the method. ``mean`` and
    ``value`` are ``None`` when ``n == 0``.
    """

    code: str
    n: int
    no_opinion: int
    distribution: dict[int, int]
    mean: float | None
    value: float | None


@dataclass(frozen=True)
class ElementScore:
    """An element's value under the method (``None`` when none of its items has a value)."""

    code: str
    value: float | None
    items: tuple[ItemScore, ...]


@dataclass(frozen=True)
class IndexScore:
    """An index computed by one method: the overall value, its range, and every element."""

    method: str
    value: float | None
    scale_min: float
    scale_max: float
    elements: tuple[ElementScore, ...]

    def item(self, code: str) -> ItemScore:
        """The score of the item ``code``; ``KeyError`` if the index has no such item."""
        for element in self.elements:
            for item in element.items:
                if item.code == code:
                    return item
        raise KeyError(code)

    def element(self, code: str) -> ElementScore:
        """The score of the element ``code``; ``KeyError`` if the index has no such element."""
        for element in self.elements:
            if element.code == code:
                return element
        raise KeyError(code)


# --- counting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tally:
    distribution: dict[int, int]
    n: int
    no_opinion: int
    total: int  # sum of answer values, for the mean

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None


def _tally(code: str, raw: Any, scale_min: int, scale_max: int) -> _Tally:
    """Check and count one item's distribution.

    Keys must be ``None`` or integers in ``scale_min..scale_max`` (a key outside the scale is
    rejected even with a zero count: it means the data and the structure do not match);
    counts must be integers >= 0.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ValueError(f"item {code!r}: expected a mapping of answer value to count")
    distribution = {value: 0 for value in range(scale_min, scale_max + 1)}
    no_opinion = 0
    for value, count in raw.items():
        if not _is_int(count):
            raise ValueError(f"item {code!r}: count for {value!r} is not an integer: {count!r}")
        if count < 0:
            raise ValueError(f"item {code!r}: negative count {count} for {value!r}")
        if value is None:
            no_opinion += count
        elif _is_int(value) and scale_min <= value <= scale_max:
            distribution[value] += count
        else:
            raise ValueError(
                f"item {code!r}: answer value {value!r} is outside the scale "
                f"{scale_min}-{scale_max}"
            )
    n = sum(distribution.values())
    total = sum(value * count for value, count in distribution.items())
    return _Tally(distribution, n, no_opinion, total)


def _counts(counts: Any) -> Mapping[str, Any]:
    if counts is None:
        return {}
    if not isinstance(counts, Mapping):
        raise ValueError("counts: expected a mapping of item code to distribution")
    return counts


def _mean_of_present(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return math.fsum(present) / len(present) if present else None


def _score_elements(
    structure: Structure,
    counts: Counts,
    item_value: Callable[[ItemSpec, _Tally], float],
) -> list[tuple[ElementSpec, tuple[ItemScore, ...], float | None]]:
    """Per element: its spec, its item scores, and the mean of its item values."""
    counts = _counts(counts)
    result = []
    for element in structure.elements:
        items = []
        for spec in element.items:
            raw = counts.get(spec.code)
            tally = _tally(spec.code, raw, structure.scale_min, structure.scale_max)
            value = item_value(spec, tally) if tally.n else None
            items.append(
                ItemScore(
                    code=spec.code,
                    n=tally.n,
                    no_opinion=tally.no_opinion,
                    distribution=tally.distribution,
                    mean=tally.mean,
                    value=value,
                )
            )
        result.append((element, tuple(items), _mean_of_present([i.value for i in items])))
    return result


# --- the methods ----------------------------------------------------------------------------


def rescale_1_10(mean: float, scale_min: float, scale_max: float, reverse: bool = False) -> float:
    """Rescale a mean answer to 1-10 (PCI/PAPI convention).

    ``s = 1 + 9 * (mean - min) / (max - min)``; for a reverse item (higher is worse)
    ``s = 1 + 9 * (max - mean) / (max - min)``. So the best end of the scale gives 10 and the
    worst gives 1. Raises ``ValueError`` when ``max <= min`` or ``mean`` is not within
    ``[min, max]``.
    """
    if scale_max <= scale_min:
        raise ValueError(f"scale_min ({scale_min}) must be below scale_max ({scale_max})")
    if not math.isfinite(mean) or not scale_min <= mean <= scale_max:
        raise ValueError(f"mean {mean!r} is outside the scale {scale_min}-{scale_max}")
    span = scale_max - scale_min
    distance = (scale_max - mean) if reverse else (mean - scale_min)
    return 1 + 9 * distance / span


def _share(mean: float, scale_min: float, scale_max: float, reverse: bool) -> float:
    span = scale_max - scale_min
    return ((scale_max - mean) if reverse else (mean - scale_min)) / span


def top_two_box(structure: Structure, counts: Counts) -> IndexScore:
    """SIPAS (and the business support index): share of the two best answers, 0-100.

    - item value = 100 * (answers on the two best scale values) / (answers on the scale);
      no-opinion answers are excluded from both. The two best values are the top two
      (4 and 5 on a 1-5 scale), or the bottom two (1 and 2) for a reverse item.
      ``None`` when the item has no answers on the scale.
    - element value = arithmetic mean of its item values that are not ``None``
      (``None`` when none has a value);
    - overall = arithmetic mean of the element values that are not ``None``
      (``None`` when none has a value).

    Needs a scale of at least three values (on two values the "top two" would be every
    answer); ``ValueError`` otherwise.
    """
    lo, hi = structure.scale_min, structure.scale_max
    if hi - lo < 2:
        raise ValueError(f"top_two_box needs a scale of at least three values, got {lo}-{hi}")

    def item_value(spec: ItemSpec, tally: _Tally) -> float:
        best = (lo, lo + 1) if spec.reverse else (hi - 1, hi)
        return 100 * sum(tally.distribution[v] for v in best) / tally.n

    scored = _score_elements(structure, counts, item_value)
    elements = tuple(ElementScore(spec.code, value, items) for spec, items, value in scored)
    overall = _mean_of_present([e.value for e in elements])
    return IndexScore("top_two_box", overall, 0.0, 100.0, elements)


def _rescaled(structure: Structure, counts: Counts) -> tuple[ElementScore, ...]:
    lo, hi = structure.scale_min, structure.scale_max

    def item_value(spec: ItemSpec, tally: _Tally) -> float:
        return rescale_1_10(tally.mean, lo, hi, spec.reverse)

    scored = _score_elements(structure, counts, item_value)
    return tuple(ElementScore(spec.code, value, items) for spec, items, value in scored)


def weighted_subindices(
    structure: Structure, counts: Counts, weights: Mapping[str, float]
) -> IndexScore:
    """PCI-style weighted sub-indices, 10-100.

    - item value = ``rescale_1_10(mean answer)`` (reversed for a reverse item), 1-10;
    - sub-index (element) = arithmetic mean of its item values that are not ``None``;
    - total = sum(w_e * s_e) / sum(w_e) * 10 over the weighted elements; with weights that
      sum to 100 (PCI: 5, 5, 20, 5, 10, 5, 5, 20, 20, 5) this is sum(w_e * s_e) / 10.
      The total lies in 10-100.

    The total is ``None`` if any weighted element has no value: an honest total needs every
    sub-index. Elements without a weight are scored but do not count in the total.
    ``ValueError`` if ``weights`` names an element not in the structure, has no entries, or
    has a weight that is not a finite number > 0.
    """
    if not isinstance(weights, Mapping) or not weights:
        raise ValueError("weights: a non-empty mapping of element code to weight")
    codes = {element.code for element in structure.elements}
    unknown = sorted(set(weights) - codes, key=str)
    if unknown:
        raise ValueError(f"weights name elements not in the structure: {unknown}")
    checked = {code: _positive_number(w, f"weight of {code!r}") for code, w in weights.items()}

    elements = _rescaled(structure, counts)
    by_code = {element.code: element.value for element in elements}
    if any(by_code[code] is None for code in checked):
        total = None
    else:
        weighted = math.fsum(w * by_code[code] for code, w in checked.items())
        total = weighted / math.fsum(checked.values()) * 10
    return IndexScore("weighted_subindices", total, 10.0, 100.0, elements)


def dimension_sum(structure: Structure, counts: Counts) -> IndexScore:
    """PAPI-style sum of dimensions, each 1-10.

    - item value = ``rescale_1_10(mean answer)`` (reversed for a reverse item), 1-10;
    - dimension (element) = arithmetic mean of its item values that are not ``None``;
    - total = sum of the dimensions (eight dimensions give 8-80);
      ``None`` if any dimension has no value.

    Range: ``scale_min`` = number of elements, ``scale_max`` = 10 * number of elements.
    """
    elements = _rescaled(structure, counts)
    values = [element.value for element in elements]
    total = None if any(v is None for v in values) else math.fsum(values)
    count = len(elements)
    return IndexScore("dimension_sum", total, float(count), 10.0 * count, elements)


def points_share(structure: Structure, counts: Counts, points: Mapping[str, float]) -> IndexScore:
    """PAR INDEX survey part: each element earns a share of its points.

    - item value = share in [0, 1] = (mean - min) / (max - min);
      for a reverse item (max - mean) / (max - min);
    - element value = points_e * (arithmetic mean of its item shares that are not ``None``);
      ``None`` if none of its items has a value;
    - total = sum of the element values; ``None`` if any element has no value.

    Range 0 to sum(points). ``points`` must have exactly the element codes as keys, each a
    finite number > 0; ``ValueError`` otherwise.
    """
    if not isinstance(points, Mapping):
        raise ValueError("points: a mapping of element code to points")
    codes = [element.code for element in structure.elements]
    if set(points) != set(codes):
        missing = sorted(set(codes) - set(points), key=str)
        unknown = sorted(set(points) - set(codes), key=str)
        raise ValueError(
            f"points must name exactly the elements: missing {missing}, unknown {unknown}"
        )
    checked = {code: _positive_number(p, f"points of {code!r}") for code, p in points.items()}

    lo, hi = structure.scale_min, structure.scale_max

    def item_value(spec: ItemSpec, tally: _Tally) -> float:
        return _share(tally.mean, lo, hi, spec.reverse)

    scored = _score_elements(structure, counts, item_value)
    elements = tuple(
        ElementScore(spec.code, None if share is None else checked[spec.code] * share, items)
        for spec, items, share in scored
    )
    values = [element.value for element in elements]
    total = None if any(v is None for v in values) else math.fsum(values)
    return IndexScore("points_share", total, 0.0, math.fsum(checked.values()), elements)


METHODS: dict[str, Callable[..., IndexScore]] = {
    "top_two_box": top_two_box,
    "weighted_subindices": weighted_subindices,
    "dimension_sum": dimension_sum,
    "points_share": points_share,
}

_PARAMS: dict[str, frozenset[str]] = {
    "top_two_box": frozenset(),
    "weighted_subindices": frozenset({"weights"}),
    "dimension_sum": frozenset(),
    "points_share": frozenset({"points"}),
}


def score(
    method: str,
    structure: Structure,
    counts: Counts,
    params: Mapping[str, Any] | None = None,
) -> IndexScore:
    """Score ``counts`` with the method named ``method`` (a key of ``METHODS``).

    ``params`` holds the method's parameters: ``{}`` for ``top_two_box`` and
    ``dimension_sum``, ``{"weights": {...}}`` for ``weighted_subindices``,
    ``{"points": {...}}`` for ``points_share``. An unknown method, a missing parameter or an
    unexpected one raises ``ValueError``. The formulas are those of the method functions.
    """
    if method not in METHODS:
        raise ValueError(f"unknown scoring method {method!r}; known: {sorted(METHODS)}")
    params = {} if params is None else params
    if not isinstance(params, Mapping):
        raise ValueError("params: a mapping")
    expected = _PARAMS[method]
    if set(params) != expected:
        raise ValueError(
            f"method {method!r} takes parameters {sorted(expected)}, got {sorted(params)}"
        )
    if not isinstance(structure, Structure):
        raise ValueError(f"expected a Structure, got {structure!r}")
    _check_structure(structure)
    return METHODS[method](structure, counts, **params)
