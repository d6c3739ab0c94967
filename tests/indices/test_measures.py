"""The reports' intervals hold what they promise on correlated answers with "no opinion":
a smaller run of ``bench/interval_coverage.py`` (fixed seeds). Pure: no app, no database."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str):
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


coverage = _load("interval_coverage").coverage


@pytest.mark.parametrize("n,least", [(10, 0.90), (30, 0.93), (100, 0.93)])
@pytest.mark.parametrize("level", [0.80, 0.90, 0.99])
def test_criterion_element_and_index_intervals_cover_the_true_values(n, least, level):
    covered = coverage(seed=7 + n + int(level * 100), level=level, n=n, rho=0.6, samples=300)
    criterion, element, index, zero_width = covered
    assert min(criterion, element, index) >= least, covered
    assert zero_width == 0
