"""Sequential alerts: each unit's stream of answers watched day by day, with an error budget
per unit and year rather than per run. Pure code over daily counts (numpy): no Flask, no
database.

What an alert means, in the words the pages use: *"the answers of the last weeks are far
more likely if this unit has fallen the rule's drop below its target than if it is at the
target; a unit exactly at its target gets such an alert at most once in the rule's number of
years"* (five by default).

The design, per unit and measure (the index, an element, or a criterion):

- each day with answers gives the day's mean ``m_d`` (respondents' own shares for the index
  and an element, satisfied answers for a criterion) over ``n_d`` answers;
- its variance is ``v_d = τ² + σ²/n_d``: ``σ²`` the spread between the day's respondents,
  ``τ²`` the swing shared by everyone served on the same day (a busy day, a broken printer).
  Both are estimated from the unit's own days (``spreads``): treating answers as independent
  would flood the wards (22 correlated answers read as 22 witnesses);
- a lower CUSUM of the Gaussian log-likelihood ratio of "at target − shift" against "at
  target", ``S_d = max(0, S_{d-1} + Δ(p0 - m_d)/v_d - Δ²/(2 v_d))``, opens when ``S_d > h``
  with at least ``min_n`` answers since it last stood at zero. For such a CUSUM the expected
  number of in-control steps before a false alarm is at least ``e^h`` (Lorden), and a unit
  has at most 365 steps a year; ``h = ln(365 · years · measures) + 1`` keeps a unit at
  target below one false alert in ``years`` over all the measures a rule watches
  (Bonferroni, conservative because a unit's measures move together; the 1 is a margin
  for the Gaussian approximation, see ``SAFETY``);
- hysteresis: once open, a measure leaves only on evidence of recovery, an upper CUSUM of
  "at target" against "at target − shift" passing ``h/2``; the unit's episode is open while
  any of its measures is, and an episode re-opened within ``rejoin_days`` of its close is the
  same episode (one notification).

``bench/alert_simulation.py`` checks these promises on simulated wards with correlated
answers, "no opinion" answers and a shared day swing, and BENCHMARKS.md records the figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: The swing shared by one day's respondents that a unit is assumed to have before its own
#: days say otherwise (3.5 points), and how many days of data that assumption weighs.
PRIOR_DAY_SWING = 0.035
PRIOR_DAYS = 20
#: Fewer within-day degrees of freedom than this: the spread between respondents is taken
#: from all the unit's answers together (which includes the day swing: conservative).
MIN_WITHIN_DOF = 10
DAYS_PER_YEAR = 365
#: Added to ``h``: the Lorden bound holds for the exact likelihood ratio, and these daily
#: means are bounded, skewed and weighed by estimated spreads. The simulation
#: (``bench/alert_simulation.py``) finds up to 0.19 false episodes a year at 300-1,000
#: answers a month without it, about 0.07 with it (a factor e fewer).
SAFETY = 1.0


@dataclass(frozen=True)
class Design:
    """What a rule asks of the sequential check (proportions, not percent)."""

    target: float
    shift: float
    years_per_false_alert: float
    measures: int
    min_n: int
    rejoin_days: int = 30

    def __post_init__(self) -> None:
        if not 0 < self.target <= 1:
            raise ValueError(f"target must be in (0, 1], got {self.target!r}")
        if not 0 < self.shift < self.target:
            raise ValueError(f"shift must be in (0, target), got {self.shift!r}")
        if self.years_per_false_alert <= 0 or self.measures < 1 or self.min_n < 1 \
                or self.rejoin_days < 0:
            raise ValueError("years, measures and min_n must be positive, rejoin_days >= 0")

    @property
    def threshold(self) -> float:
        """``h``: at least ``365 · years · measures`` quiet days per false alarm, plus the
        ``SAFETY`` margin."""
        return math.log(DAYS_PER_YEAR * self.years_per_false_alert * self.measures) + SAFETY

    @property
    def recovery_threshold(self) -> float:
        return self.threshold / 2


@dataclass(frozen=True)
class DailyCounts:
    """Per series (rows) and day (columns): answers, their sum and their sum of squares."""

    n: np.ndarray
    total: np.ndarray
    squares: np.ndarray

    def __post_init__(self) -> None:
        shapes = {self.n.shape, self.total.shape, self.squares.shape}
        if len(shapes) != 1 or self.n.ndim != 2:
            raise ValueError(f"n, total and squares: one 2-d shape, got {shapes}")
        if (self.n < 0).any():
            raise ValueError("negative counts")


def spreads(counts: DailyCounts) -> tuple[np.ndarray, np.ndarray]:
    """Per series: ``σ²`` (between one day's respondents) and ``τ²`` (between days).

    Both come from differences that a fall of the unit does not inflate, so the very drop
    to be caught does not widen the spreads and hide itself:

    - ``σ²`` pools the within-day sums of squares when the series has at least
      ``MIN_WITHIN_DOF`` within-day degrees of freedom; otherwise (about one answer a day)
      it is read from the successive differences of the daily means, all of their spread
      counted as ``σ²`` (the larger share at such volumes);
    - ``τ²`` from successive differences of the daily means over the days with answers:
      ``E[(m_d - m_{d'})²] = 2τ² + σ²/n_d + σ²/n_{d'}``, combined with ``PRIOR_DAYS``
      days' worth of ``PRIOR_DAY_SWING²`` (a unit with a week of data is not trusted to be
      perfectly steady) and never below 0.
    """
    n, total, squares = (np.asarray(a, dtype=float) for a in
                         (counts.n, counts.total, counts.squares))
    series = len(n)
    answered = n > 0
    safe_n = np.where(answered, n, 1.0)
    within_ss = np.where(answered, squares - total * total / safe_n, 0.0).sum(axis=1)
    dof = np.where(answered, n - 1, 0.0).sum(axis=1)
    sigma2 = np.zeros(series)
    tau2 = np.zeros(series)
    for s in range(series):
        days = np.flatnonzero(answered[s])
        means = total[s, days] / n[s, days]
        inverse = 1 / n[s, days]
        jumps = np.diff(means) ** 2
        weights = inverse[1:] + inverse[:-1]
        if dof[s] >= MIN_WITHIN_DOF:
            sigma2[s] = within_ss[s] / dof[s]
        elif len(jumps):
            sigma2[s] = jumps.sum() / weights.sum()
        excess = (jumps - sigma2[s] * weights).sum() / 2
        tau2[s] = (excess + PRIOR_DAYS * PRIOR_DAY_SWING ** 2) / (len(jumps) + PRIOR_DAYS)
    return np.maximum(sigma2, 0.0), np.maximum(tau2, 0.0)


@dataclass(frozen=True)
class Path:
    """The day-by-day state of each series: ``watched[s, d]`` is true while series ``s`` is
    in an alert on day ``d``; ``statistic`` is the CUSUM on the last day."""

    watched: np.ndarray
    statistic: np.ndarray


def watch(counts: DailyCounts, design: Design,
          variances: tuple[np.ndarray, np.ndarray] | None = None) -> Path:
    """Run the lower CUSUM and its recovery test over every series at once (see the module)."""
    sigma2, tau2 = variances if variances is not None else spreads(counts)
    series, days = counts.n.shape
    p0, delta = design.target, design.shift
    h, h_recovered = design.threshold, design.recovery_threshold
    down = np.zeros(series)
    up = np.zeros(series)
    run = np.zeros(series)
    inside = np.zeros(series, dtype=bool)
    watched = np.zeros((series, days), dtype=bool)
    for d in range(days):
        n = counts.n[:, d].astype(float)
        answered = n > 0
        safe_n = np.where(answered, n, 1.0)
        m = counts.total[:, d] / safe_n
        v = np.maximum(tau2 + sigma2 / safe_n, 1e-9)
        half = delta * delta / (2 * v)
        lower = np.where(answered, delta * (p0 - m) / v - half, 0.0)
        upper = np.where(answered, delta * (m - p0) / v + half, 0.0)
        run = np.where(down > 0, run + n, n)
        down = np.maximum(0.0, down + lower)
        run = np.where(down > 0, run, 0.0)
        up = np.where(inside, np.maximum(0.0, up + upper), 0.0)
        recovered = inside & (up > h_recovered)
        inside = (inside & ~recovered) | (~inside & (down > h) & (run >= design.min_n))
        down = np.where(recovered, 0.0, down)
        up = np.where(recovered, 0.0, up)
        run = np.where(recovered, 0.0, run)
        watched[:, d] = inside
    return Path(watched, down)


@dataclass(frozen=True)
class Episode:
    """Days (indices) a unit's episode opened and closed (``None``: still open)."""

    opened: int
    closed: int | None


def episodes(in_alert: np.ndarray, rejoin_days: int) -> list[Episode]:
    """A unit's episodes from its day-by-day state (any measure in alert): a re-opening
    within ``rejoin_days`` of a close continues the same episode."""
    result: list[Episode] = []
    days = len(in_alert)
    d = 0
    while d < days:
        if not in_alert[d]:
            d += 1
            continue
        start = d
        while d < days and in_alert[d]:
            d += 1
        if result and result[-1].closed is not None and start - result[-1].closed <= rejoin_days:
            start = result.pop().opened
        result.append(Episode(start, d if d < days else None))
    return result
