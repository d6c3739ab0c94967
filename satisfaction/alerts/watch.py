"""The sequential watch of a rule's units: their daily counts read once, the CUSUM of
``indices.sequential`` run over them, and each unit's episodes. The daily check reads the
year before the day checked; a replay reads the year before its first day and its range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from satisfaction.alerts.rules import Measure, rule_source, watched_measures
from satisfaction.counts.tallies import daily_measures
from satisfaction.db.alerts import AlertRule
from satisfaction.db.units import Unit
from satisfaction.indices import sequential
from satisfaction.indices.measures import good_values
from satisfaction.indices.respondents import SCORE_PREFIX
from satisfaction.units.tree import subtrees

#: How far back the check reads a unit's answers: the CUSUM starts there, the spreads are
#: estimated there.
LOOKBACK_DAYS = 365


def design_of(rule: AlertRule, measures: int) -> sequential.Design:
    return sequential.Design(target=rule.target / 100, shift=rule.shift / 100,
                             years_per_false_alert=rule.years_per_false_alert,
                             measures=max(measures, 1), min_n=rule.min_n,
                             rejoin_days=rule.rejoin_days)


@dataclass
class Watch:
    """The rule's units (rows) and measures, day by day from ``first``."""

    rule: AlertRule
    design: sequential.Design
    units: list[Unit]
    measures: list[Measure]
    first: date
    watched: np.ndarray          # units × measures × days
    statistic: np.ndarray        # units × measures, on the last day

    def day(self, index: int) -> date:
        return self.first + timedelta(days=index)

    def in_alert(self, row: int) -> np.ndarray:
        return self.watched[row].any(axis=0)

    def alerting_measures(self, row: int, day: int = -1) -> list[str]:
        return [m.code for m, on in zip(self.measures, self.watched[row, :, day], strict=True)
                if on]

    def episodes(self, row: int) -> list[sequential.Episode]:
        return sequential.episodes(self.in_alert(row), self.design.rejoin_days)


def watch_units(rule: AlertRule, first: date, last: date, units: list[Unit],
                every: list[Unit]) -> Watch:
    """Run the rule's sequential check from ``first`` to ``last`` for ``units`` (each over its
    subtree among ``every``)."""
    source = rule_source(rule)
    measures = watched_measures(rule, source.definition)
    design = design_of(rule, len(measures))
    days = (last - first).days + 1
    code_of = {(SCORE_PREFIX + m.code if m.kind != "criterion" else m.code): i
               for i, m in enumerate(measures)}
    means = [code for code, i in code_of.items() if measures[i].kind != "criterion"]
    shares = {m.code: good_values(source.definition.item(m.code))
              for m in measures if m.kind == "criterion"}
    every_row = {u.id: i for i, u in enumerate(every)}
    row_of = np.full(max(every_row, default=0) + 1, -1)
    row_of[list(every_row)] = list(every_row.values())
    own = np.zeros((3, len(every), len(measures), days))
    # daily_measures numbers the measures ``means`` first, then ``shares``.
    column = np.array([code_of[code] for code in [*means, *shares]])
    rows = daily_measures(source.version_ids, list(every_row), first, last, means, shares)
    if len(rows):
        where = (row_of[rows[:, 0].astype(int)], column[rows[:, 2].astype(int)],
                 rows[:, 1].astype(int))
        for k in range(3):
            own[k][where] = rows[:, 3 + k]
    below = subtrees(every)
    combined = np.zeros((3, len(units), len(measures), days))
    for row, unit in enumerate(units):
        members = [every_row[i] for i in below[unit.id]]
        combined[:, row] = own[:, members].sum(axis=1)
    shape = (len(units) * len(measures), days)
    counts = sequential.DailyCounts(combined[0].reshape(shape), combined[1].reshape(shape),
                                    combined[2].reshape(shape))
    path = sequential.watch(counts, design)
    grid = (len(units), len(measures))
    return Watch(rule, design, units, measures, first,
                 path.watched.reshape(*grid, days), path.statistic.reshape(grid))


@dataclass(frozen=True)
class ReplayedEpisode:
    unit: Unit
    opened: date
    closed: date | None          # None: still open on the last day replayed
    measures: tuple[str, ...]    # the measures in alert on its first day


def replay(rule: AlertRule, first: date, last: date, units: list[Unit],
           every: list[Unit]) -> list[ReplayedEpisode]:
    """The episodes the daily check would have opened from ``first`` to ``last`` (the watch
    starting a year before ``first``), touching nothing: no alert, no message."""
    watch = watch_units(rule, first - timedelta(days=LOOKBACK_DAYS), last, units, every)
    offset = LOOKBACK_DAYS
    found = []
    for row, unit in enumerate(watch.units):
        for episode in watch.episodes(row):
            if episode.closed is not None and episode.closed <= offset:
                continue  # over before the range
            opened = max(episode.opened, offset)
            found.append(ReplayedEpisode(
                unit, watch.day(opened),
                None if episode.closed is None else watch.day(episode.closed),
                tuple(watch.alerting_measures(row, opened))))
    return found
