"""Each respondent's own satisfaction shares, counted beside the answers as pseudo-items.

One person's answers to several criteria are correlated, so intervals for an element or the
index need the respondents' own shares (n, mean, variance), not the pooled answers. They are
counted as pseudo-items: "@A" for element A, "@" for the index (the mean of the respondent's
element shares), the value being 1 + the share in thousandths. Pure code: no Flask, no
database.
"""

from __future__ import annotations

from collections.abc import Mapping

from satisfaction.indices.questionnaires import Definition

SCORE_PREFIX = "@"


def score_items(definition: Definition, answers: Mapping[str, int | None]) -> dict[str, int]:
    """The pseudo-item values of one respondent: element and overall satisfaction shares
    (answers in the two best values of the scale, among those given on the scale)."""
    scale = definition.scored_scale
    ordered = sorted(scale.values)
    good, bad_for_reverse = set(ordered[-2:]), set(ordered[:2])
    items: dict[str, int] = {}
    shares = []
    for element in definition.elements:
        answered = satisfied = 0
        for item in element.items:
            value = answers.get(item.code)
            if value is None:
                continue
            answered += 1
            satisfied += value in (bad_for_reverse if item.reverse else good)
        if answered:
            share = satisfied / answered
            shares.append(share)
            items[SCORE_PREFIX + element.code] = 1 + round(share * 1000)
    if shares:
        # The mean of element shares takes many values; hundredths keep the counts small
        # (the alerts' daily means do not need more).
        items[SCORE_PREFIX] = 1 + 10 * round(sum(shares) / len(shares) * 100)
    return items


def pseudo_counts(definition: Definition,
                  answers: Mapping[str, int | None]) -> dict[tuple[str, int], int]:
    """Every pseudo-item increment of one respondent: (code, value) -> how much to add."""
    return {(code, value): 1 for code, value in score_items(definition, answers).items()}


def score_of(value_key: int) -> float:
    """The share (0–1) a pseudo-item value stands for."""
    return (value_key - 1) / 1000
