"""Carrying a predecessor's counts into a new unit by its share: the shares are summed
before rounding, and a half is rounded up, once."""

from __future__ import annotations

from satisfaction.counts.tallies import Tallies


def old_units(*answers: int) -> Tallies:
    """Units 1, 2, ... each with one response answering ``answers[i]`` to item q1, in May."""
    tallies = Tallies()
    for unit_id, value in enumerate(answers, start=1):
        tallies.units[unit_id] = {"q1": {value: 1}}
        tallies.unit_responses[unit_id] = 1
    tallies.months[(2024, 5)] = {"q1": {}}
    for value in answers:
        bucket = tallies.months[(2024, 5)]["q1"]
        bucket[value] = bucket.get(value, 0) + 1
    tallies.month_responses[(2024, 5)] = len(answers)
    return tallies


def test_half_an_answer_is_rounded_up_not_to_even():
    new = Tallies()
    assert new.carry([(old_units(4), [1], 0.5)], into=9) == 1
    assert new.units[9] == {"q1": {4: 1}} and new.unit_responses[9] == 1
    assert new.month((2024, 5)) == ({"q1": {4: 1}}, 1)


def test_shares_of_several_units_are_summed_before_rounding():
    # Two halves of one answer each make one answer, not two (rounding each) or none.
    new = Tallies()
    assert new.carry([(old_units(4), [1], 0.5), (old_units(4), [1], 0.5)], into=9) == 1
    assert new.units[9] == {"q1": {4: 1}}
    assert new.month((2024, 5)) == ({"q1": {4: 1}}, 1)
    # A third of an answer disappears; what is left counts nothing, not zero.
    small = Tallies()
    assert small.carry([(old_units(3), [1], 0.3)], into=9) == 0
    assert small.units.get(9, {}).get("q1", {}) == {}


def test_carried_counts_add_to_the_units_own():
    new = old_units(5)
    assert new.carry([(old_units(4), [1], 1.0)], into=1) == 1
    assert new.counts([1]) == ({"q1": {5: 1, 4: 1}}, 2)
    assert new.month((2024, 5)) == ({"q1": {5: 1, 4: 1}}, 2)
