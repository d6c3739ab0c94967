"""Scoring formulas, checked against independent computations.

Pure tests: no app, no database. Every expected number below is worked out by hand in the
comments, or recomputed naively from a list of individual answers.
"""

from __future__ import annotations

import dataclasses
import math
import random
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from satisfaction.indices.scoring import (
    METHODS,
    ElementSpec,
    IndexScore,
    ItemSpec,
    Structure,
    dimension_sum,
    points_share,
    rescale_1_10,
    score,
    top_two_box,
    weighted_subindices,
)

ROOT = Path(__file__).resolve().parents[2]


def structure(spec: dict[str, list[str]], scale_min: int = 1, scale_max: int = 5) -> Structure:
    """Build a structure from {element: [item, ...]}; an item code ending in "~" is reverse."""
    return Structure(
        tuple(
            ElementSpec(
                element,
                tuple(ItemSpec(code.rstrip("~"), reverse=code.endswith("~")) for code in items),
            )
            for element, items in spec.items()
        ),
        scale_min,
        scale_max,
    )


# --- SIPAS: top two box ---------------------------------------------------------------------

SIPAS = structure({"A": ["A1", "A2", "A3~"], "B": ["B1", "B2"], "C": ["C1"]})
SIPAS_COUNTS = {
    # n = 2+3+5+20+10 = 40 (the 4 no-opinion answers are excluded); 4 or 5: 20+10 = 30
    # value = 30/40 * 100 = 75.0; mean = (1*2 + 2*3 + 3*5 + 4*20 + 5*10)/40 = 153/40 = 3.825
    "A1": {1: 2, 2: 3, 3: 5, 4: 20, 5: 10, None: 4},
    # n = 20; 4 or 5: 5+5 = 10 -> 50.0; mean = (30 + 20 + 25)/20 = 3.75
    "A2": {3: 10, 4: 5, 5: 5},
    # reverse: the best answers are 1 and 2: 6+2 = 8 of n = 10 -> 80.0; mean = (6+4+10)/10 = 2.0
    "A3": {1: 6, 2: 2, 5: 2},
    # n = 10; 4 or 5: 9 -> 90.0
    "B1": {4: 9, 2: 1},
    # only "no opinion": no value (not 0)
    "B2": {None: 7},
    # C1 missing: no answers, no value; element C has no value
    "ZZ": {1: 100},  # not in the structure: ignored
}


def test_top_two_box_hand_worked():
    result = top_two_box(SIPAS, SIPAS_COUNTS)
    assert isinstance(result, IndexScore)
    assert result.method == "top_two_box"
    assert (result.scale_min, result.scale_max) == (0.0, 100.0)

    a1 = result.item("A1")
    assert (a1.n, a1.no_opinion) == (40, 4)
    assert a1.distribution == {1: 2, 2: 3, 3: 5, 4: 20, 5: 10}
    assert a1.value == pytest.approx(75.0)
    assert a1.mean == pytest.approx(3.825)
    assert result.item("A2").value == pytest.approx(50.0)
    assert result.item("A3").value == pytest.approx(80.0)
    assert result.item("A3").mean == pytest.approx(2.0)  # the mean is not reversed

    # element A = (75 + 50 + 80) / 3 = 205/3 = 68.333...
    assert result.element("A").value == pytest.approx(205 / 3)
    # element B = mean of the items with a value = B1 alone = 90.0
    b2 = result.item("B2")
    assert (b2.n, b2.no_opinion, b2.mean, b2.value) == (0, 7, None, None)
    assert result.element("B").value == pytest.approx(90.0)
    # element C: no answers at all -> None, and left out of the overall
    c1 = result.item("C1")
    assert (c1.n, c1.no_opinion, c1.mean, c1.value) == (0, 0, None, None)
    assert c1.distribution == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert result.element("C").value is None
    # overall = (205/3 + 90) / 2 = (205 + 270) / 6 = 475/6 = 79.1666...
    assert result.value == pytest.approx(475 / 6)

    assert [e.code for e in result.elements] == ["A", "B", "C"]
    assert [i.code for i in result.element("A").items] == ["A1", "A2", "A3"]
    with pytest.raises(KeyError):
        result.item("ZZ")
    with pytest.raises(KeyError):
        result.element("Z")


def test_top_two_box_published_style_overall():
    # Five elements of one criterion each: 83, 83, 83, 83, 82 answers "4 or 5" out of 100
    # -> overall = (4*83 + 82) / 5 = 414/5 = 82.8
    s = structure({e: [e + "1"] for e in "ABCDE"})
    counts = {e + "1": {5: 83 if e != "E" else 82, 3: 17 if e != "E" else 18} for e in "ABCDE"}
    assert top_two_box(s, counts).value == pytest.approx(82.8)


def test_top_two_box_other_scales():
    # 1-7 scale: the top two are 6 and 7. 3 + 1 of 8 answers -> 50.0;
    # reverse: 1 and 2 -> 2 + 0 of 8 -> 25.0
    s = structure({"A": ["A1", "A2~"]}, 1, 7)
    counts = {"A1": {6: 3, 7: 1, 1: 2, 4: 2}, "A2": {6: 3, 7: 1, 1: 2, 4: 2}}
    result = top_two_box(s, counts)
    assert result.item("A1").value == pytest.approx(50.0)
    assert result.item("A2").value == pytest.approx(25.0)
    assert result.value == pytest.approx(37.5)
    # a 0-2 scale: top two are 1 and 2
    s = structure({"A": ["A1"]}, 0, 2)
    assert top_two_box(s, {"A1": {0: 1, 1: 1, 2: 2}}).value == pytest.approx(75.0)
    # on two values the "top two" would be every answer: refused
    with pytest.raises(ValueError):
        top_two_box(structure({"A": ["A1"]}, 1, 2), {"A1": {1: 1}})


def test_no_answers_anywhere_is_none_not_zero():
    s = structure({"A": ["A1"], "B": ["B1"]})
    for counts in ({}, {"A1": {}, "B1": {None: 3}}, {"A1": {1: 0, 5: 0}}):
        result = top_two_box(s, counts)
        assert result.value is None
        assert all(e.value is None for e in result.elements)
        assert all(i.value is None and i.mean is None for e in result.elements for i in e.items)
        assert dimension_sum(s, counts).value is None
        assert weighted_subindices(s, counts, {"A": 1, "B": 1}).value is None
        assert points_share(s, counts, {"A": 1, "B": 1}).value is None


# --- rescale --------------------------------------------------------------------------------


def test_rescale_1_10():
    assert rescale_1_10(1, 1, 5) == pytest.approx(1.0)
    assert rescale_1_10(5, 1, 5) == pytest.approx(10.0)
    assert rescale_1_10(3, 1, 5) == pytest.approx(5.5)  # 1 + 9*2/4
    assert rescale_1_10(4.2, 1, 5) == pytest.approx(8.2)  # 1 + 9*3.2/4 = 1 + 7.2
    # reverse: 1 + 9*(5 - 1.6)/4 = 1 + 7.65 = 8.65
    assert rescale_1_10(1.6, 1, 5, reverse=True) == pytest.approx(8.65)
    assert rescale_1_10(5, 1, 5, reverse=True) == pytest.approx(1.0)
    assert rescale_1_10(0, 0, 10) == pytest.approx(1.0)
    assert rescale_1_10(2.5, 0, 10) == pytest.approx(3.25)  # 1 + 9*0.25
    for bad in ((0.9, 1, 5), (5.1, 1, 5), (math.nan, 1, 5), (3, 5, 5), (3, 5, 1)):
        with pytest.raises(ValueError):
            rescale_1_10(*bad)


# --- PCI: weighted sub-indices --------------------------------------------------------------

PCI_WEIGHTS = {
    "entry": 5,
    "land": 5,
    "transparency": 20,
    "time": 5,
    "informal": 10,
    "competition": 5,
    "proactivity": 5,
    "support": 20,
    "training": 20,
    "legal": 5,
}
PCI = structure(
    {
        "entry": ["E1"],
        "land": ["L1"],
        "transparency": ["T1", "T2"],
        "time": ["M1"],
        "informal": ["I1~"],
        "competition": ["C1"],
        "proactivity": ["P1"],
        "support": ["S1", "S2"],
        "training": ["D1"],
        "legal": ["G1"],
    }
)
# rescale s = 1 + 9*(mean - 1)/4
PCI_COUNTS = {
    "E1": {4: 4, 5: 1},  # mean 21/5 = 4.2 -> 8.2
    "L1": {2: 2, 3: 3},  # mean 13/5 = 2.6 -> 1 + 9*1.6/4 = 4.6
    "T1": {3: 3, 4: 2},  # mean 17/5 = 3.4 -> 1 + 9*2.4/4 = 6.4
    "T2": {5: 5},  # mean 5 -> 10;  transparency = (6.4 + 10)/2 = 8.2
    "M1": {1: 1, 2: 4},  # mean 9/5 = 1.8 -> 1 + 9*0.8/4 = 2.8
    "I1": {1: 3, 2: 1, 3: 1},  # mean 8/5 = 1.6, reverse -> 1 + 9*3.4/4 = 8.65
    "C1": {3: 5},  # mean 3 -> 5.5
    "P1": {5: 3, 4: 2},  # mean 23/5 = 4.6 -> 1 + 9*3.6/4 = 9.1
    "S1": {2: 4, 3: 1},  # mean 11/5 = 2.2 -> 1 + 9*1.2/4 = 3.7
    "S2": {4: 5, None: 3},  # mean 4 -> 7.75;  support = (3.7 + 7.75)/2 = 5.725
    "D1": {3: 1, 4: 4},  # mean 19/5 = 3.8 -> 1 + 9*2.8/4 = 7.3
    "G1": {1: 5},  # mean 1 -> 1.0
}
PCI_SUBINDICES = {
    "entry": 8.2,
    "land": 4.6,
    "transparency": 8.2,
    "time": 2.8,
    "informal": 8.65,
    "competition": 5.5,
    "proactivity": 9.1,
    "support": 5.725,
    "training": 7.3,
    "legal": 1.0,
}


def test_weighted_subindices_pci_hand_worked():
    result = weighted_subindices(PCI, PCI_COUNTS, PCI_WEIGHTS)
    assert result.method == "weighted_subindices"
    assert (result.scale_min, result.scale_max) == (10.0, 100.0)
    for code, expected in PCI_SUBINDICES.items():
        assert result.element(code).value == pytest.approx(expected), code
    assert result.item("I1").mean == pytest.approx(1.6)
    assert result.item("I1").value == pytest.approx(8.65)
    # total = sum(w * s) / 10:
    #   5*8.2 = 41, 5*4.6 = 23, 20*8.2 = 164, 5*2.8 = 14, 10*8.65 = 86.5, 5*5.5 = 27.5,
    #   5*9.1 = 45.5, 20*5.725 = 114.5, 20*7.3 = 146, 5*1.0 = 5
    #   sum = 667 -> total 66.7
    assert result.value == pytest.approx(66.7)


def test_weighted_subindices_general_weights():
    # weights that do not sum to 100: total = sum(w*s) / sum(w) * 10
    doubled = {code: 2 * w for code, w in PCI_WEIGHTS.items()}
    assert weighted_subindices(PCI, PCI_COUNTS, doubled).value == pytest.approx(66.7)
    s = structure({"A": ["A1"], "B": ["B1"]})
    counts = {"A1": {2: 2, 3: 3}, "B1": {5: 1}}  # s_A = 4.6, s_B = 10
    # (1*4.6 + 3*10) / 4 * 10 = 34.6/4*10 = 86.5
    assert weighted_subindices(s, counts, {"A": 1, "B": 3}).value == pytest.approx(86.5)
    # an element without a weight is scored but not counted: total = 4.6/1*10 = 46
    result = weighted_subindices(s, counts, {"A": 1.5})
    assert result.value == pytest.approx(46.0)
    assert result.element("B").value == pytest.approx(10.0)
    # every answer 1: every sub-index is 1 except informal (reverse: 1 is its best, 10)
    # -> (90 * 1 + 10 * 10) / 10 = 19.0
    all_ones = {code: {1: 1} for code in PCI_COUNTS}
    assert weighted_subindices(PCI, all_ones, PCI_WEIGHTS).value == pytest.approx(19.0)


def test_weighted_subindices_bounds():
    s = structure({"A": ["A1"], "B": ["B1~"]})
    worst = {"A1": {1: 3}, "B1": {5: 3}}
    best = {"A1": {5: 3}, "B1": {1: 3}}
    assert weighted_subindices(s, worst, {"A": 30, "B": 70}).value == pytest.approx(10.0)
    assert weighted_subindices(s, best, {"A": 30, "B": 70}).value == pytest.approx(100.0)


def test_weighted_subindices_missing_subindex_makes_total_none():
    counts = {code: c for code, c in PCI_COUNTS.items() if code != "G1"}
    result = weighted_subindices(PCI, counts, PCI_WEIGHTS)
    assert result.value is None
    assert result.element("legal").value is None
    assert result.element("entry").value == pytest.approx(8.2)  # the others are still scored
    # ... but only when the missing element carries a weight
    weights = {code: w for code, w in PCI_WEIGHTS.items() if code != "legal"}
    # (667 - 5) / 95 * 10
    assert weighted_subindices(PCI, counts, weights).value == pytest.approx(662 / 95 * 10)


@pytest.mark.parametrize(
    "weights",
    [
        {"A": 1, "X": 1},  # unknown element
        {"A": 0},
        {"A": -5},
        {"A": math.nan},
        {"A": math.inf},
        {"A": "5"},
        {"A": True},
        {},
    ],
)
def test_weighted_subindices_bad_weights(weights):
    s = structure({"A": ["A1"], "B": ["B1"]})
    with pytest.raises(ValueError):
        weighted_subindices(s, {"A1": {3: 1}, "B1": {3: 1}}, weights)


# --- PAPI: dimension sum --------------------------------------------------------------------

PAPI = structure(
    {
        "participation": ["P1"],
        "transparency": ["T1"],
        "accountability": ["V1", "V2"],
        "corruption": ["K1~"],
        "procedures": ["A1"],
        "services": ["S1"],
        "environment": ["N1"],
        "egov": ["G1"],
    }
)
PAPI_COUNTS = {
    "P1": {3: 5},  # mean 3 -> 5.5
    "T1": {4: 5},  # mean 4 -> 1 + 9*3/4 = 7.75
    "V1": {5: 5},  # 10
    "V2": {1: 5},  # 1;  accountability = (10 + 1)/2 = 5.5
    "K1": {1: 4, 2: 1},  # mean 6/5 = 1.2, reverse -> 1 + 9*3.8/4 = 9.55
    "A1": {4: 4, 5: 1},  # mean 4.2 -> 8.2
    "S1": {2: 2, 3: 3},  # mean 2.6 -> 4.6
    "N1": {1: 1, 2: 4},  # mean 1.8 -> 2.8
    "G1": {1: 5, None: 2},  # mean 1 -> 1.0
}


def test_dimension_sum_papi_hand_worked():
    result = dimension_sum(PAPI, PAPI_COUNTS)
    assert result.method == "dimension_sum"
    assert (result.scale_min, result.scale_max) == (8.0, 80.0)
    expected = [5.5, 7.75, 5.5, 9.55, 8.2, 4.6, 2.8, 1.0]
    assert [e.value for e in result.elements] == pytest.approx(expected)
    # 5.5 + 7.75 + 5.5 + 9.55 + 8.2 + 4.6 + 2.8 + 1.0 = 44.9
    assert result.value == pytest.approx(44.9)


def test_dimension_sum_missing_dimension_makes_total_none():
    counts = {code: c for code, c in PAPI_COUNTS.items() if code != "G1"}
    result = dimension_sum(PAPI, counts)
    assert result.value is None
    assert result.element("egov").value is None
    assert result.element("corruption").value == pytest.approx(9.55)
    # a dimension with one item missing keeps the mean of the other: accountability = 10
    counts = {code: c for code, c in PAPI_COUNTS.items() if code != "V2"}
    result = dimension_sum(PAPI, counts)
    assert result.element("accountability").value == pytest.approx(10.0)
    assert result.value == pytest.approx(44.9 - 5.5 + 10.0)


# --- PAR INDEX: points share ----------------------------------------------------------------

# Illustrative split of the 32 survey points over three fields (the real split is data).
PAR = structure({"F1": ["Q1"], "F2": ["Q2", "Q3~"], "F3": ["Q4"]})
PAR_POINTS = {"F1": 4, "F2": 6, "F3": 22}
PAR_COUNTS = {
    "Q1": {5: 3, 4: 1},  # mean 19/4 = 4.75 -> share (4.75-1)/4 = 0.9375; F1 = 4*0.9375 = 3.75
    "Q2": {3: 2},  # mean 3 -> share 0.5
    "Q3": {2: 1, 1: 1, None: 9},  # mean 1.5, reverse -> (5-1.5)/4 = 0.875
    #                              F2 = 6 * (0.5 + 0.875)/2 = 6 * 0.6875 = 4.125
    "Q4": {4: 3, 2: 1},  # mean 14/4 = 3.5 -> share 0.625; F3 = 22*0.625 = 13.75
}


def test_points_share_par_hand_worked():
    result = points_share(PAR, PAR_COUNTS, PAR_POINTS)
    assert result.method == "points_share"
    assert (result.scale_min, result.scale_max) == (0.0, 32.0)
    assert result.item("Q1").value == pytest.approx(0.9375)
    assert result.item("Q3").value == pytest.approx(0.875)
    assert result.item("Q3").no_opinion == 9
    assert result.element("F1").value == pytest.approx(3.75)
    assert result.element("F2").value == pytest.approx(4.125)
    assert result.element("F3").value == pytest.approx(13.75)
    # 3.75 + 4.125 + 13.75 = 21.625 of 32
    assert result.value == pytest.approx(21.625)


def test_points_share_bounds_and_missing_field():
    best = {"Q1": {5: 1}, "Q2": {5: 1}, "Q3": {1: 1}, "Q4": {5: 1}}
    worst = {"Q1": {1: 1}, "Q2": {1: 1}, "Q3": {5: 1}, "Q4": {1: 1}}
    assert points_share(PAR, best, PAR_POINTS).value == pytest.approx(32.0)
    assert points_share(PAR, worst, PAR_POINTS).value == pytest.approx(0.0)
    counts = {code: c for code, c in PAR_COUNTS.items() if code != "Q4"}
    result = points_share(PAR, counts, PAR_POINTS)
    assert result.value is None
    assert result.element("F3").value is None
    assert result.element("F1").value == pytest.approx(3.75)


@pytest.mark.parametrize(
    "points",
    [
        {"F1": 4, "F2": 6},  # missing a field
        {"F1": 4, "F2": 6, "F3": 22, "F4": 1},  # unknown field
        {"F1": 0, "F2": 6, "F3": 22},
        {"F1": -4, "F2": 6, "F3": 22},
        {"F1": math.nan, "F2": 6, "F3": 22},
    ],
)
def test_points_share_bad_points(points):
    with pytest.raises(ValueError):
        points_share(PAR, PAR_COUNTS, points)


# --- bad data and structures ----------------------------------------------------------------


@pytest.mark.parametrize(
    "distribution",
    [
        {6: 1},  # above the scale
        {0: 1},  # below the scale (0 is not "no opinion" here: None is)
        {-1: 2},
        {7: 0},  # a value outside the scale is a mismatch even with no answers
        {"4": 1},
        {4.0: 1},
        {True: 1},
        {4: -1},  # negative count
        {None: -1},
        {4: 1.5},  # counts are integers
        {4: "3"},
        [4, 5],  # not a mapping
    ],
)
@pytest.mark.parametrize("method", sorted(METHODS))
def test_bad_data_raises(distribution, method):
    s = structure({"A": ["A1"]})
    params = {"weights": {"A": 1}} if method == "weighted_subindices" else {}
    params = {"points": {"A": 1}} if method == "points_share" else params
    with pytest.raises(ValueError):
        score(method, s, {"A1": distribution}, params)


def test_bad_structures():
    with pytest.raises(ValueError):
        Structure((ElementSpec("A", ()),))  # an element with no items
    with pytest.raises(ValueError):
        Structure((ElementSpec("A", (ItemSpec("A1"),)), ElementSpec("B", ())))
    with pytest.raises(ValueError):
        Structure(())  # no elements
    with pytest.raises(ValueError):
        structure({"A": ["A1", "A1"]})  # duplicate item
    with pytest.raises(ValueError):
        Structure((ElementSpec("A", (ItemSpec("X"),)), ElementSpec("B", (ItemSpec("X"),))))
    with pytest.raises(ValueError):
        Structure((ElementSpec("A", (ItemSpec("A1"),)), ElementSpec("A", (ItemSpec("A2"),))))
    for lo, hi in ((5, 5), (5, 1), (1.0, 5)):
        with pytest.raises(ValueError):
            structure({"A": ["A1"]}, lo, hi)


def test_structures_are_frozen_and_lists_become_tuples():
    s = Structure([ElementSpec("A", [ItemSpec("A1")])])
    assert isinstance(s.elements, tuple) and isinstance(s.elements[0].items, tuple)
    hash(s)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.scale_max = 7
    result = top_two_box(s, {"A1": {5: 1}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.value = 0


# --- dispatch -------------------------------------------------------------------------------


def test_score_dispatches_to_the_same_results():
    assert set(METHODS) == {"top_two_box", "weighted_subindices", "dimension_sum", "points_share"}
    assert score("top_two_box", SIPAS, SIPAS_COUNTS, {}) == top_two_box(SIPAS, SIPAS_COUNTS)
    assert score("dimension_sum", PAPI, PAPI_COUNTS, {}) == dimension_sum(PAPI, PAPI_COUNTS)
    assert score(
        "weighted_subindices", PCI, PCI_COUNTS, {"weights": PCI_WEIGHTS}
    ) == weighted_subindices(PCI, PCI_COUNTS, PCI_WEIGHTS)
    assert score("points_share", PAR, PAR_COUNTS, {"points": PAR_POINTS}) == points_share(
        PAR, PAR_COUNTS, PAR_POINTS
    )
    for method, function in METHODS.items():
        assert function.__name__ == method
        assert function.__doc__ and "=" in function.__doc__  # formulas are documented


@pytest.mark.parametrize(
    "method, params",
    [
        ("sipas", {}),  # unknown method
        ("", {}),
        ("top_two_box", {"weights": {"A": 1}}),  # unexpected parameter
        ("weighted_subindices", {}),  # missing parameter
        ("points_share", {"weights": {"A": 1}}),
    ],
)
def test_score_rejects_unknown_methods_and_parameters(method, params):
    with pytest.raises(ValueError):
        score(method, SIPAS, SIPAS_COUNTS, params)


# --- property: against a naive recomputation from individual answers -----------------------


def test_random_counts_against_expanded_answers():
    rng = random.Random(20240601)
    for _ in range(300):
        lo = rng.choice([0, 1, 1, 1])
        hi = lo + rng.choice([2, 3, 4, 4, 4, 6, 9])
        spec: dict[str, list[str]] = {}
        for e in range(rng.randint(1, 4)):
            spec[f"E{e}"] = [
                f"I{e}{i}" + ("~" if rng.random() < 0.3 else "") for i in range(rng.randint(1, 4))
            ]
        s = structure(spec, lo, hi)
        counts: dict[str, dict[int | None, int]] = {}
        answers: dict[str, list[int]] = {}
        for element in s.elements:
            for item in element.items:
                if rng.random() < 0.1:
                    answers[item.code] = []  # not in counts at all
                    continue
                dist: dict[int | None, int] = {}
                for value in [None, *range(lo, hi + 1)]:
                    if rng.random() < 0.7:
                        dist[value] = rng.choice([0, 1, 2, 3, 10, 57])
                counts[item.code] = dist
                expanded = [v for v, c in dist.items() for _ in range(c)]
                rng.shuffle(expanded)
                answers[item.code] = [a for a in expanded if a is not None]

        t2b = top_two_box(s, counts)
        papi = dimension_sum(s, counts)
        par = points_share(s, counts, {e.code: 10 for e in s.elements})

        element_values = []
        for element in s.elements:
            item_values = []
            for item in element.items:
                given = answers[item.code]
                scored = t2b.item(item.code)
                assert scored.n == len(given)
                assert scored.no_opinion == counts.get(item.code, {}).get(None, 0)
                assert sorted(scored.distribution) == list(range(lo, hi + 1))
                assert scored.distribution == {v: given.count(v) for v in range(lo, hi + 1)}
                if not given:
                    assert scored.mean is None and scored.value is None
                    assert papi.item(item.code).value is None
                    continue
                best = (lo, lo + 1) if item.reverse else (hi - 1, hi)
                naive = 100 * len([a for a in given if a in best]) / len(given)
                mean = statistics.mean(given)
                assert scored.value == pytest.approx(naive)
                assert scored.mean == pytest.approx(mean)
                item_values.append(naive)
                good = (hi - mean) if item.reverse else (mean - lo)
                assert papi.item(item.code).value == pytest.approx(1 + 9 * good / (hi - lo))
                assert par.item(item.code).value == pytest.approx(good / (hi - lo))
                assert papi.item(item.code).mean == pytest.approx(mean)
            if item_values:
                element_value = statistics.mean(item_values)
                assert t2b.element(element.code).value == pytest.approx(element_value)
                element_values.append(element_value)
            else:
                assert t2b.element(element.code).value is None
        if element_values:
            assert t2b.value == pytest.approx(statistics.mean(element_values))
        else:
            assert t2b.value is None

        if all(e.value is not None for e in papi.elements):
            assert papi.value == pytest.approx(math.fsum(e.value for e in papi.elements))
            assert len(s.elements) - 1e-9 <= papi.value <= 10 * len(s.elements) + 1e-9
        else:
            assert papi.value is None


# --- purity ---------------------------------------------------------------------------------


def test_scoring_imports_neither_flask_nor_sqlalchemy():
    code = (
        "import satisfaction.indices.scoring, sys; "
        "assert 'flask' not in sys.modules and 'sqlalchemy' not in sys.modules"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_scoring_imports_only_the_standard_library():
    code = (
        "import sys; before = set(sys.modules); import satisfaction.indices.scoring; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "extra = new - set(sys.stdlib_module_names) - {'satisfaction'}; "
        "assert not extra, extra"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
