"""Statistics: intervals, "below target" tests, false-flag control, drops.

Pure code over counts: the standard library, numpy and scipy only (no Flask, no database), so
that the reports, the exports and the alerts all draw the same conclusions from the same data.

Conventions:

- a proportion is in [0, 1] everywhere (a target of 90 % is ``0.90``); callers convert to %;
- a criterion's satisfaction share is a count: ``successes`` satisfied answers out of ``n``
  answers on the scale (no-opinion answers excluded);
- an element is the mean of its criteria's shares and the index the mean of its elements,
  as the reports show them (``assess_mean_of_shares``): their interval and test take the
  parts as perfectly correlated, the worst case, so one person's correlated answers to
  several criteria never make them too narrow;
- every function returns ``None`` when there is no data to compute with (``n == 0``), never 0;
- bad arguments (a negative count, more successes than answers, a level or a proportion outside
  its range, a value that is not a number) raise ``ValueError``.

The probability functions come from ``scipy.special`` (``bdtr`` is the binomial distribution
function behind ``scipy.stats.binom.cdf``, ``ndtr``/``ndtri`` the normal): the same values as
``scipy.stats`` without its per-call overhead, which matters over thousands of measures.

How the reports use this module:

1. ``assess_proportion`` / ``assess_mean_of_shares`` for every unit and measure: the observed
   value, its interval, and the one-sided p-value of "below target" (or "not enough data");
2. ``assess_many`` over all of them at once: Benjamini-Hochberg adjusted p-values, and the final
   state "below" only for values below target that survive the correction.

The alerts watch each unit's answers over time instead (``indices.sequential``), with a
false-alert budget per unit and year; they show the first step's value and interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
from scipy import special

__all__ = [
    "STATES",
    "Assessment",
    "Interval",
    "assess_many",
    "assess_mean_of_shares",
    "assess_proportion",
    "benjamini_hochberg",
    "binomial_below_p",
    "exact_interval",
    "two_proportion_drop_p",
    "wilson_interval",
]

STATES = ("meets", "below", "not_significant", "not_enough_data")
"""The states of an ``Assessment``."""


# --- checking arguments ---------------------------------------------------------------------


def _count(value: Any, what: str) -> int:
    """An integer >= 0 (Python or numpy integer, not a bool)."""
    # The common case first: checks run on every count of every unit's measures, and the
    # abstract-class check below costs ten times more than this one.
    if type(value) is int and value >= 0:
        return value
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise ValueError(f"{what}: expected an integer, got {value!r}")
    number = int(value)
    if number < 0:
        raise ValueError(f"{what}: must be >= 0, got {number}")
    return number


def _counts(successes: Any, n: Any, what: str = "") -> tuple[int, int]:
    prefix = f"{what}: " if what else ""
    s = _count(successes, f"{prefix}successes")
    total = _count(n, f"{prefix}n")
    if s > total:
        raise ValueError(f"{prefix}successes ({s}) exceed the number of answers n ({total})")
    return s, total


def _number(value: Any, what: str) -> float:
    """A finite real number (not a bool)."""
    if type(value) is float and math.isfinite(value):
        return value
    if not isinstance(value, Real) or isinstance(value, bool):
        raise ValueError(f"{what}: expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what}: must be finite, got {value!r}")
    return number


def _level(level: Any) -> float:
    number = _number(level, "level")
    if not 0 < number < 1:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    return number


def _proportion(value: Any, what: str, *, open_low: bool = False, open_high: bool = False) -> float:
    number = _number(value, what)
    low_ok = number > 0 if open_low else number >= 0
    high_ok = number < 1 if open_high else number <= 1
    if not (low_ok and high_ok):
        low = "(0" if open_low else "[0"
        high = "1)" if open_high else "1]"
        raise ValueError(f"{what} must be a proportion in {low}, {high}, got {value!r}")
    return number


def _two_sided_z(level: float) -> float:
    """The normal quantile z with P(-z <= Z <= z) = level."""
    return float(special.ndtri(1 - (1 - level) / 2))


# --- intervals for a proportion -------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A two-sided interval ``[low, high]`` at confidence (or credibility) ``level``, e.g. 0.95."""

    low: float
    high: float
    level: float


def wilson_interval(successes: int, n: int, level: float = 0.95) -> Interval | None:
    """Wilson score interval for a proportion; ``None`` when ``n == 0``.

    With ``p = successes / n`` and ``z`` the two-sided normal quantile (1.959964 at 95 %)::

        centre = (p + z²/(2n)) / (1 + z²/n)
        half   = z / (1 + z²/n) · sqrt(p(1 - p)/n + z²/(4n²))
        [centre - half, centre + half]

    clipped to [0, 1] (it is already inside up to rounding: 0 is the low end at
    ``successes == 0`` and 1 the high end at ``successes == n``). Unlike ``p ± z·sqrt(p(1-p)/n)``
    it stays inside [0, 1] and keeps its stated coverage for small samples and shares near 100 %.

    In plain words: the range in which the true satisfaction share most likely lies (95 times
    out of 100), given how many people answered.
    """
    s, total = _counts(successes, n)
    level = _level(level)
    if total == 0:
        return None
    p = s / total
    z = _two_sided_z(level)
    z2 = z * z
    denominator = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    low = 0.0 if s == 0 else max(0.0, centre - half)
    high = 1.0 if s == total else min(1.0, centre + half)
    return Interval(low, high, level)


def exact_interval(successes: int, n: int, level: float = 0.95) -> Interval | None:
    """Clopper–Pearson ("exact") interval for a proportion; ``None`` when ``n == 0``.

    The Beta quantiles that invert the exact binomial test (``binomial_below_p`` is its
    lower side)::

        low  = B⁻¹(α/2; s, n - s + 1)        (0 when s = 0)
        high = B⁻¹(1 - α/2; s + 1, n - s)    (1 when s = n)

    It covers the true share at least ``level`` of the time for every share and every n —
    where Wilson's dips to about 90 % for shares near 99 % and n near 25 — and is never of
    zero width.

    In plain words: the range in which the true satisfaction share lies (at least 95 times
    out of 100), given how many people answered.
    """
    s, total = _counts(successes, n)
    level = _level(level)
    if total == 0:
        return None
    alpha = 1 - level
    low = 0.0 if s == 0 else float(special.betaincinv(s, total - s + 1, alpha / 2))
    high = 1.0 if s == total else float(special.betaincinv(s + 1, total - s, 1 - alpha / 2))
    return Interval(low, high, level)


def binomial_below_p(successes: int, n: int, target: float) -> float | None:
    """One-sided exact binomial test that the true share is below ``target``.

    H0: p >= target against H1: p < target. The p-value is the chance of seeing at most the
    observed number of satisfied answers if the true share were exactly the target::

        p-value = P(X <= successes | X ~ Binomial(n, target))
                = sum_{k=0}^{successes} C(n, k) target^k (1 - target)^(n - k)

    (``scipy.special.bdtr``, the function behind ``scipy.stats.binom.cdf``). ``None`` when
    ``n == 0``; ``target`` in [0, 1].

    In plain words: how likely a result this low would be by chance alone if the unit really
    met the target — the smaller, the stronger the evidence that it does not.
    """
    s, total = _counts(successes, n)
    target = _proportion(target, "target")
    if total == 0:
        return None
    return min(1.0, max(0.0, float(special.bdtr(s, total, target))))


# --- false flags across many tests ----------------------------------------------------------


def benjamini_hochberg(p_values: Sequence[float], rate: float) -> tuple[list[float], list[bool]]:
    """Benjamini-Hochberg step-up procedure: adjusted p-values and which tests are flagged.

    With the ``m`` p-values sorted ``p_(1) <= ... <= p_(m)``:

    - flagged: the tests with the ``k`` smallest p-values, ``k`` the largest ``i`` with
      ``p_(i) <= i/m · rate`` (none if there is no such ``i``);
    - adjusted ``p~_(i) = min(1, min_{j >= i} m/j · p_(j))``, monotone in ``p``; a test is
      flagged exactly when its adjusted p-value is <= ``rate`` (up to rounding at equality).

    Both lists are in the order of the input. Ties get equal adjusted values. Empty input gives
    ``([], [])``. ``rate`` must be in (0, 1) and every p-value in [0, 1]; ``ValueError``
    otherwise. Controls the false discovery rate — the expected share of false flags among the
    flags — at ``rate`` for independent (or positively dependent) tests.

    In plain words: when hundreds of units and measures are tested at once, some look bad by
    chance alone; this raises the bar so that on average at most ``rate`` (e.g. 5 %) of the
    flags raised are false alarms.
    """
    rate = _number(rate, "rate")
    if not 0 < rate < 1:
        raise ValueError(f"rate must be strictly between 0 and 1, got {rate!r}")
    values = [_proportion(p, f"p-value #{i}") for i, p in enumerate(p_values)]
    m = len(values)
    if m == 0:
        return [], []
    p = np.asarray(values, dtype=float)
    order = np.argsort(p, kind="stable")
    ranked = p[order]
    ranks = np.arange(1, m + 1)
    below = np.nonzero(ranked <= ranks / m * rate)[0]
    k = int(below[-1]) + 1 if below.size else 0
    adjusted_ranked = np.minimum.accumulate((ranked * m / ranks)[::-1])[::-1]
    adjusted_ranked = np.minimum(adjusted_ranked, 1.0)
    adjusted = np.empty(m)
    adjusted[order] = adjusted_ranked
    flagged = np.zeros(m, dtype=bool)
    flagged[order[:k]] = True
    return [float(x) for x in adjusted], [bool(x) for x in flagged]


# --- change against the previous period -----------------------------------------------------


def two_proportion_drop_p(
    successes_before: int, n_before: int, successes_now: int, n_now: int
) -> float | None:
    """One-sided pooled two-proportion z test of a drop since the previous period.

    H0: p_now >= p_before against H1: p_now < p_before. With ``p_b = s_b/n_b``,
    ``p_n = s_n/n_n`` and the pooled share ``p = (s_b + s_n)/(n_b + n_n)``::

        z = (p_n - p_b) / sqrt(p (1 - p) (1/n_b + 1/n_n)),   p-value = Φ(z)

    ``None`` when either period has no answers, or when the pooled share is 0 or 1 (every
    answer the same in both periods: no variation to test).

    In plain words: how likely a fall this large would be by chance alone if the unit's true
    satisfaction had not changed since the previous period.
    """
    s_b, n_b = _counts(successes_before, n_before, "before")
    s_n, n_n = _counts(successes_now, n_now, "now")
    if n_b == 0 or n_n == 0:
        return None
    pooled = (s_b + s_n) / (n_b + n_n)
    if pooled <= 0 or pooled >= 1:
        return None
    z = (s_n / n_n - s_b / n_b) / math.sqrt(pooled * (1 - pooled) * (1 / n_b + 1 / n_n))
    return float(special.ndtr(z))


def newcombe_difference(successes_before: int, n_before: int, successes_now: int, n_now: int,
                        level: float = 0.95) -> Interval | None:
    """Newcombe's hybrid score interval (his method 10) for the change of a proportion,
    ``p_now - p_before``; ``None`` when either period has no answers.

    From the Wilson intervals ``[l_b, u_b]`` and ``[l_n, u_n]`` of the two shares, with
    ``d = p_n - p_b``::

        low  = d - sqrt((p_n - l_n)² + (u_b - p_b)²)
        high = d + sqrt((u_n - p_n)² + (p_b - l_b)²)

    It keeps its coverage for small samples and shares near 0 or 1, where ``d ± z·se`` does
    not. In plain words: how much the share changed between the two periods, give or take.
    """
    s_b, n_b = _counts(successes_before, n_before, "before")
    s_n, n_n = _counts(successes_now, n_now, "now")
    if n_b == 0 or n_n == 0:
        return None
    level = _level(level)
    before, now = wilson_interval(s_b, n_b, level), wilson_interval(s_n, n_n, level)
    p_b, p_n = s_b / n_b, s_n / n_n
    d = p_n - p_b
    low = d - math.sqrt((p_n - now.low) ** 2 + (before.high - p_b) ** 2)
    high = d + math.sqrt((now.high - p_n) ** 2 + (p_b - before.low) ** 2)
    return Interval(max(-1.0, low), min(1.0, high), level)


# --- assessment against a target ------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    """One unit's measure against its target.

    ``state``: ``"meets"`` (value at or above target), ``"below"`` (below target and
    significant after the Benjamini-Hochberg correction), ``"not_significant"`` (below target
    but possibly by chance), ``"not_enough_data"`` (fewer answers than the rule's minimum —
    never "below"). ``value``: the observed proportion or mean (shown even when there is not
    enough data, ``None`` with no answers); ``interval``: its confidence interval;
    ``p_value``: the raw one-sided p-value of "below target" (``None`` when there is not enough
    data); ``adjusted_p``: the Benjamini-Hochberg adjusted p-value, filled by ``assess_many``.
    """

    state: str
    value: float | None
    interval: Interval | None
    p_value: float | None
    adjusted_p: float | None

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"unknown state {self.state!r}; known: {list(STATES)}")


def _min_n(min_n: Any) -> int:
    return _count(min_n, "min_n")


def assess_proportion(successes: int, n: int, target: float, min_n: int) -> Assessment:
    """Assess a satisfaction share against ``target`` (both in [0, 1]); provisional state.

    - ``n < min_n`` (or ``n == 0``): ``"not_enough_data"``, no p-value (value and exact
      interval still given when ``n > 0``);
    - otherwise ``value = successes / n``, exact (Clopper–Pearson) 95 % interval, ``p_value =
      binomial_below_p(successes, n, target)``, and the provisional state ``"meets"`` when
      ``value >= target``, else ``"not_significant"`` until ``assess_many`` decides which
      are ``"below"``.

    In plain words: is this unit's share of satisfied answers below the target, and do we have
    enough answers to say so?
    """
    s, total = _counts(successes, n)
    target = _proportion(target, "target")
    minimum = _min_n(min_n)
    value = s / total if total else None
    interval = exact_interval(s, total)
    if total == 0 or total < minimum:
        return Assessment("not_enough_data", value, interval, None, None)
    assert value is not None
    state = "meets" if value >= target else "not_significant"
    return Assessment(state, value, interval, binomial_below_p(s, total, target), None)


def assess_mean_of_shares(groups: Sequence[Sequence[tuple[int, int]]], target: float,
                          min_n: int) -> Assessment:
    """Assess a mean of means of shares — an element (one group of criteria) or the index
    (its elements) — against ``target``, as the reports compute the value.

    ``groups``: per element, its criteria's ``(successes, n)``. A criterion without answers
    and an element without any criterion answered are left out, as in the score:

    - ``value``: mean over the elements of the mean of their criteria's shares;
    - ``interval``: the same means of the criteria's exact 95 % bounds. For comonotone
      (perfectly correlated) parts the quantiles of a mean are the means of the quantiles,
      the widest case; correlated answers give a narrower truth, so the interval is
      conservative, and never of zero width;
    - ``p_value``: one-sided z-test of "below target" with the standard error of the
      same worst case at the target, ``se = mean(mean(sqrt(t(1 - t)/n_j)))``;
    - fewer than ``min_n`` answers to the most answered criterion (or none):
      ``"not_enough_data"``.
    """
    target = _proportion(target, "target")
    minimum = _min_n(min_n)
    values, lows, highs, errors, most = [], [], [], [], 0
    for group in groups:
        shares = [_counts(s, n, "criterion") for s, n in group]
        answered = [(s, n) for s, n in shares if n > 0]
        most = max([most, *(n for _, n in answered)])
        if not answered:
            continue
        bounds = [exact_interval(s, n) for s, n in answered]
        values.append(sum(s / n for s, n in answered) / len(answered))
        lows.append(sum(b.low for b in bounds) / len(bounds))
        highs.append(sum(b.high for b in bounds) / len(bounds))
        errors.append(sum(math.sqrt(target * (1 - target) / n) for _, n in answered)
                      / len(answered))
    if not values:
        return Assessment("not_enough_data", None, None, None, None)
    value = sum(values) / len(values)
    interval = Interval(sum(lows) / len(lows), sum(highs) / len(highs), 0.95)
    if most < max(minimum, 1):
        return Assessment("not_enough_data", value, interval, None, None)
    error = sum(errors) / len(errors)
    if error == 0:
        p_value = 0.0 if value < target else 1.0
    else:
        p_value = float(special.ndtr((value - target) / error))
    state = "meets" if value >= target else "not_significant"
    return Assessment(state, value, interval, p_value, None)


def assess_many(assessments: Sequence[Assessment], rate: float) -> list[Assessment]:
    """Final states for all the assessments of one run, with false flags under control.

    Applies ``benjamini_hochberg`` at ``rate`` to the p-values of every assessment that has one
    (all those with enough data, whether they meet the target or not: each is a test made),
    fills ``adjusted_p``, and sets the state:

    - ``"not_enough_data"``: unchanged (never ``"below"``, no adjusted p-value);
    - ``"meets"`` (value at or above target): unchanged;
    - otherwise ``"below"`` when Benjamini-Hochberg flags it (adjusted p-value <= ``rate``),
      else ``"not_significant"``.

    Returns new assessments in the input order. Applying it again to its own output gives the
    same result. ``rate`` in (0, 1); ``ValueError`` otherwise.

    In plain words: out of everything checked in this run, only the results that are clearly
    below target — not just unlucky — are flagged.
    """
    items = list(assessments)
    for item in items:
        if not isinstance(item, Assessment):
            raise ValueError(f"expected an Assessment, got {item!r}")
    tested = [
        index
        for index, item in enumerate(items)
        if item.p_value is not None and item.state != "not_enough_data"
    ]
    adjusted, flagged = benjamini_hochberg([items[i].p_value for i in tested], rate)
    result = list(items)
    for index, adjusted_p, flag in zip(tested, adjusted, flagged, strict=True):
        item = items[index]
        if item.state == "meets":
            state = "meets"
        else:
            state = "below" if flag else "not_significant"
        result[index] = Assessment(state, item.value, item.interval, item.p_value, adjusted_p)
    return result
