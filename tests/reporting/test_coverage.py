"""The response rate and its warning: pure over per-unit counts."""

from __future__ import annotations

import pytest

from satisfaction.reporting.coverage import coverage


def test_a_rate_above_one_hundred_percent_is_flagged_not_shown_bare():
    # 22 answers against 7 dossiers handled: 314.3 %, answers that are not about this
    # period's dossiers.
    over = coverage([1], accepted={1: 22}, quarantined={}, verified={1: 7}, dossiers={1: 7},
                    listed=[1])
    assert over.rate == pytest.approx(2200 / 7) and over.more_answers_than_dossiers
    exact = coverage([1], accepted={1: 7}, quarantined={}, verified={}, dossiers={1: 7},
                     listed=[1])
    assert exact.rate == pytest.approx(100) and not exact.more_answers_than_dossiers
    none = coverage([1], accepted={1: 7}, quarantined={}, verified={}, dossiers={}, listed=[])
    assert none.rate is None and not none.more_answers_than_dossiers
