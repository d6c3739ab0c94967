"""The measures of a questionnaire — the index, its elements, its criteria — and the
evidence about each against a target. Pure code over answer counts: no Flask, no database.

One statistic, one interval: each measure's interval and test are about the value the
reports show. A criterion's share is tested on its answers (exact binomial test and its
Clopper–Pearson interval). An element's value is the mean of its criteria's shares, and the
index the mean of its elements (``scoring.top_two_box``); their interval is the mean of
the parts' exact bounds and their test a z-test with the mean of the parts' standard
errors. Both are what the mean would have if the parts were perfectly correlated — the
worst case, since one person's answers to several criteria are correlated but not
identical — so they are conservative whatever the correlation and the "no opinion"
answers, and never of zero width at 0 % or 100 %. ``bench/interval_coverage.py`` measures
their coverage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from satisfaction.indices import respondents, scoring, statistics
from satisfaction.indices.questionnaires import Definition, Item

#: How many of the lowest criteria a report highlights.
LOWEST = 3

Counts = Mapping[str, Mapping[int | None, int]]


def structure_of(definition: Definition) -> scoring.Structure:
    """The scoring structure (elements, items, reversed items, scale) of a definition."""
    values = [option.value for option in definition.scored_scale.options]
    return scoring.Structure(
        elements=tuple(
            scoring.ElementSpec(
                group.code,
                tuple(scoring.ItemSpec(item.code, item.reverse) for item in group.items),
            )
            for group in definition.elements
        ),
        scale_min=min(values),
        scale_max=max(values),
    )


def measure_codes(definition: Definition) -> list[str]:
    """"" for the index, then the elements' codes, then the criteria's."""
    return ["", *(g.code for g in definition.elements),
            *(i.code for i in definition.scored_items())]


def good_values(item: Item) -> set[int]:
    ordered = sorted(item.scale.values)
    return set(ordered[:2] if item.reverse else ordered[-2:])


def share_of(item: Item, distribution: Mapping[int | None, int]) -> tuple[int, int]:
    """(satisfied, answered) for a criterion: answers in the two best values."""
    good = good_values(item)
    n = sum(c for v, c in distribution.items() if v is not None)
    return sum(c for v, c in distribution.items() if v in good), n


def assess_measure(definition: Definition, code: str, counts: Counts, target: float,
                   min_n: int) -> tuple[statistics.Assessment, int]:
    """One measure of one unit against ``target`` (a proportion), before any correction:
    a criterion by the exact binomial test on its answers, an element ("A") or the index
    ("") as the mean of its parts (see the module). Returns the assessment and its n (for
    an element or the index: the answers of its most answered criterion, about the number
    of respondents)."""
    elements = {g.code: g for g in definition.elements}
    if code and code not in elements:
        successes, n = share_of(definition.item(code), counts.get(code, {}))
        return statistics.assess_proportion(successes, n, target, min_n), n
    groups = [elements[code]] if code else list(definition.elements)
    parts = [[share_of(item, counts.get(item.code, {})) for item in group.items]
             for group in groups]
    n = max((answered for shares in parts for _, answered in shares), default=0)
    return statistics.assess_mean_of_shares(parts, target, min_n), n


def assess_measures(definition: Definition, counts: Counts, target: float, min_n: int,
                    rate: float) -> dict[str, statistics.Assessment]:
    """Interval and state of the index, each element and each criterion of one unit,
    Benjamini–Hochberg-adjusted across all of them."""
    codes = measure_codes(definition)
    raw = [assess_measure(definition, code, counts, target, min_n)[0] for code in codes]
    return dict(zip(codes, statistics.assess_many(raw, rate), strict=True))


def respondent_share(counts: Counts) -> tuple[int, int]:
    """(rounded sum of respondents' shares, respondents): the index as a binomial count with
    the respondents, not the correlated answers, as its sample size."""
    distribution = counts.get(respondents.SCORE_PREFIX, {})
    n = sum(distribution.values())
    total = sum(respondents.score_of(v) * c for v, c in distribution.items())
    return round(total), n


def criterion_drops(definition: Definition, before: Counts, now: Counts,
                    rate: float) -> dict[str, float]:
    """Criteria whose share dropped significantly from ``before`` to ``now``: code ->
    Benjamini–Hochberg-adjusted p-value."""
    tests = []
    for item in definition.scored_items():
        s_now, n_now = share_of(item, now.get(item.code, {}))
        s_before, n_before = share_of(item, before.get(item.code, {}))
        p = statistics.two_proportion_drop_p(s_before, n_before, s_now, n_now)
        if p is not None:
            tests.append((item.code, p))
    if not tests:
        return {}
    adjusted, rejected = statistics.benjamini_hochberg([p for _, p in tests], rate)
    return {code: adj for (code, _), adj, hit in zip(tests, adjusted, rejected, strict=True)
            if hit}


@dataclass(frozen=True)
class Change:
    """A criterion's share between two periods: now minus before (shares in [0, 1]), its
    95 % interval, and whether the change is significant among all the criteria."""

    difference: float
    interval: statistics.Interval
    significant: bool


def criterion_changes(definition: Definition, before: Counts, now: Counts,
                      rate: float) -> dict[str, Change]:
    """Every criterion answered in both periods: the change of its share, Newcombe's 95 %
    interval, and significance by a two-sided two-proportion test with the
    Benjamini–Hochberg procedure at ``rate`` across the criteria (so that comparing 22
    criteria does not make some look significant by chance)."""
    found, tests = {}, []
    for item in definition.scored_items():
        s_now, n_now = share_of(item, now.get(item.code, {}))
        s_before, n_before = share_of(item, before.get(item.code, {}))
        interval = statistics.newcombe_difference(s_before, n_before, s_now, n_now)
        if interval is None:
            continue
        found[item.code] = (s_now / n_now - s_before / n_before, interval)
        p = statistics.two_proportion_drop_p(s_before, n_before, s_now, n_now)
        if p is not None:
            tests.append((item.code, 2 * min(p, 1 - p)))
    significant: set[str] = set()
    if tests:
        _adjusted, rejected = statistics.benjamini_hochberg([p for _, p in tests], rate)
        significant = {code for (code, _), hit in zip(tests, rejected, strict=True) if hit}
    return {code: Change(d, interval, code in significant)
            for code, (d, interval) in found.items()}


def lowest_items(score: scoring.IndexScore,
                 limit: int = LOWEST) -> tuple[scoring.ItemScore, ...]:
    items = [item for element in score.elements for item in element.items
             if item.value is not None]
    return tuple(sorted(items, key=lambda item: (item.value, item.code))[:limit])
