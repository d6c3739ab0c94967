"""Simulated wards under the sequential alerts (``satisfaction.indices.sequential``): how often a
ward at target is told it is below, and how soon a ward that fell is told. A benchmark of the
statistics, with fixed seeds, not a test (``tests/alerts/test_sequential.py`` runs a smaller
version of each figure).

The answers are meant to be as awkward as real ones:

- each respondent answers the 22 SIPAS criteria (5 elements of 4, 5, 6, 3 and 4) through a
  latent score with an intra-respondent correlation ``rho`` (up to 0.6): one person's
  answers move together;
- 15 % of the answers are "no opinion";
- everyone served on the same day shares a swing of ``swing`` (3.5 points) in the chance of
  being satisfied;
- a ward receives ``per_month`` answers (Poisson per day), 30 to 1,000;
- "at target" means every criterion, hence every element and the index, at the target.

The rule is the demo's: SIPAS, 90 %, the index and its 5 elements watched, the drop to catch
7 points, at most one false alert in 5 years, at least 30 answers. The spreads are estimated
from each simulated ward's own data, as the check does.

    .venv/bin/python bench/alert_simulation.py            # about two minutes
    .venv/bin/python bench/alert_simulation.py --write BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import special

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from satisfaction.indices.sequential import DailyCounts, Design, episodes, spreads, watch  # noqa: E402

ELEMENTS = (4, 5, 6, 3, 4)
YEAR = 365
DESIGN = Design(target=0.90, shift=0.07, years_per_false_alert=5, measures=1 + len(ELEMENTS),
                min_n=30)


@dataclass(frozen=True)
class Stream:
    per_month: float
    rho: float = 0.6
    no_opinion: float = 0.15
    swing: float = 0.035


def ward_days(rng: np.random.Generator, stream: Stream, truth: np.ndarray) -> DailyCounts:
    """One ward's daily counts for the index and its elements (rows), day by day, when its
    true share on day ``d`` is ``truth[d]`` (every criterion alike)."""
    days = len(truth)
    measures = 1 + len(ELEMENTS)
    n = np.zeros((measures, days))
    total = np.zeros((measures, days))
    squares = np.zeros((measures, days))
    people = rng.poisson(stream.per_month / 30, size=days)
    day_share = np.clip(truth + stream.swing * rng.standard_normal(days), 0.01, 0.999)
    cut = special.ndtri(day_share)
    day_of = np.repeat(np.arange(days), people)
    k = len(day_of)
    if k == 0:
        return DailyCounts(n, total, squares)
    latent = (np.sqrt(stream.rho) * rng.standard_normal((k, 1))
              + np.sqrt(1 - stream.rho) * rng.standard_normal((k, sum(ELEMENTS))))
    satisfied = latent < cut[day_of][:, None]
    answered = rng.random((k, sum(ELEMENTS))) >= stream.no_opinion
    element_shares = []
    start = 0
    for e, size in enumerate(ELEMENTS, start=1):
        a = answered[:, start:start + size].sum(axis=1)
        s = (satisfied & answered)[:, start:start + size].sum(axis=1)
        share = np.divide(s, a, out=np.zeros(k), where=a > 0)
        element_shares.append(np.where(a > 0, share, np.nan))
        _add(n[e], total[e], squares[e], day_of, a > 0, share, days)
        start += size
    stacked = np.vstack(element_shares)
    has = ~np.isnan(stacked).all(axis=0)
    overall = np.divide(np.nansum(stacked, axis=0), (~np.isnan(stacked)).sum(axis=0),
                        out=np.zeros(k), where=has)
    _add(n[0], total[0], squares[0], day_of, has, overall, days)
    return DailyCounts(n, total, squares)


def _add(n, total, squares, day_of, present, value, days) -> None:
    n += np.bincount(day_of[present], minlength=days)
    total += np.bincount(day_of[present], weights=value[present], minlength=days)
    squares += np.bincount(day_of[present], weights=value[present] ** 2, minlength=days)


def many_wards(seed: int, wards: int, stream: Stream, truth: np.ndarray) -> list[DailyCounts]:
    rng = np.random.default_rng(seed)
    return [ward_days(rng, stream, truth) for _ in range(wards)]


def ward_alerts(counts: DailyCounts, design: Design = DESIGN,
                spread_days: int | None = None) -> np.ndarray:
    """The ward's day-by-day state (any measure in alert); the spreads from its first
    ``spread_days`` days (all by default), as a check on that day would estimate them."""
    upto = counts.n.shape[1] if spread_days is None else spread_days
    variances = spreads(DailyCounts(counts.n[:, :upto], counts.total[:, :upto],
                                    counts.squares[:, :upto]))
    return watch(counts, design, variances).watched.any(axis=0)


def false_alerts(seed: int, per_month: float, years: int, rho: float = 0.6,
                 design: Design = DESIGN) -> tuple[float, int]:
    """(episodes per ward-year, wards simulated) for wards at target, a year each."""
    truth = np.full(YEAR, design.target)
    wards = many_wards(seed, years, Stream(per_month, rho), truth)
    opened = sum(len(episodes(ward_alerts(w, design), design.rejoin_days)) for w in wards)
    return opened / years, years


def detection_delays(seed: int, per_month: float, drop: float, runs: int,
                     design: Design = DESIGN, horizon: int = 240) -> np.ndarray:
    """Days from the drop (after a year at target) to the episode's opening; ``inf`` when
    none opened within ``horizon`` days. Spreads from the data up to 60 days after the
    drop, about what the check reads then."""
    truth = np.concatenate([np.full(YEAR, design.target),
                            np.full(horizon, design.target - drop)])
    delays = []
    for ward in many_wards(seed, runs, Stream(per_month), truth):
        state = ward_alerts(ward, design, spread_days=YEAR + 60)[YEAR:]
        hit = np.flatnonzero(state)
        delays.append(float(hit[0]) if len(hit) else np.inf)
    return np.array(delays)


def oscillating(seed: int, runs: int, per_month: float = 30,
                design: Design = DESIGN) -> tuple[float, float]:
    """A ward swinging between 75 % and 85 % (period of two months) for a year: mean
    episodes and mean notifications (one per episode)."""
    days = np.arange(YEAR)
    truth = 0.80 + 0.05 * np.sin(2 * np.pi * days / 60)
    counts = [len(episodes(ward_alerts(w, design), design.rejoin_days))
              for w in many_wards(seed, runs, Stream(per_month), truth)]
    return float(np.mean(counts)), float(np.max(counts))


def _table(rows: list[list[str]], header: list[str]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def run(ward_years: int, runs: int) -> list[str]:
    started = time.perf_counter()
    out = [f"Design: target 90 %, drop to catch {DESIGN.shift * 100:.0f} points, "
           f"{DESIGN.measures} measures (index and elements), at most one false alert in "
           f"{DESIGN.years_per_false_alert:g} years, h = {DESIGN.threshold:.2f}, recovery at "
           f"h/2, re-opening within {DESIGN.rejoin_days} days continues the episode.", ""]
    rows = []
    for rho in (0.0, 0.3, 0.6):
        row = [f"{rho:g}"]
        for i, volume in enumerate((30, 100, 300, 1000)):
            rate, _ = false_alerts(1000 + i + int(rho * 10), volume, ward_years, rho)
            row.append(f"{rate:.3f}")
        rows.append(row)
    out.append(f"A ward at target, {ward_years} simulated ward-years per cell: alert "
               "episodes per ward and year (budget 0.2). The check has no term across "
               "units, so the share of other wards below target (0 %, 50 % or 90 %) cannot "
               "change these figures.")
    out.append("")
    out += _table(rows, ["item correlation", "30 a month", "100 a month", "300 a month",
                         "1,000 a month"])
    out.append("")
    rows = []
    for drop, volume, seed in ((0.10, 100, 7), (0.05, 300, 8), (0.10, 30, 9), (0.05, 100, 10)):
        d = detection_delays(seed, volume, drop, runs)
        finite = d[np.isfinite(d)]
        rows.append([f"{drop * 100:.0f} points", f"{volume}",
                     f"{np.median(d):.0f}" if np.isfinite(np.median(d)) else "never",
                     f"{np.mean(d <= 90) * 100:.0f} %", f"{np.mean(d <= 120) * 100:.0f} %",
                     f"{np.mean(d <= 240) * 100:.0f} %",
                     f"{finite.max():.0f}" if len(finite) else "-"])
    out.append(f"A ward that falls after a year at target ({runs} runs each, ρ = 0.6): days "
               "until its episode opens.")
    out.append("")
    out += _table(rows, ["drop", "answers a month", "median days", "within 90 days",
                         "within 120 days", "within 240 days", "slowest found"])
    out.append("")
    mean, worst = oscillating(11, runs)
    out.append(f"A ward oscillating between 75 % and 85 % with 30 answers a month for a "
               f"year ({runs} runs): {mean:.2f} episodes on average, at most {worst:.0f} "
               "(one notification each).")
    out.append("")
    out.append(f"Simulated in {time.perf_counter() - started:.0f} s.")
    return out


def write_section(path: Path, lines: list[str], name: str = "alert_simulation") -> None:
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = "\n".join([begin, *lines, end])
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text:
        text = re.sub(re.escape(begin) + r".*?" + re.escape(end), lambda _: block, text,
                      flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ward-years", type=int, default=400)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    lines = run(args.ward_years, args.runs)
    print("\n".join(lines))
    if args.write:
        write_section(args.write, lines)


if __name__ == "__main__":
    main()
