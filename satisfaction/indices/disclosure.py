"""The disclosure rule, as arithmetic over counts.

A figure shown below the reviewing office is a sum of cells, each cell the answers of one
unit in one calendar month. The figure may be shown only if every one of its cells holds
none or at least ``minimum`` answers. Why cells and not only the figure's own total: two
figures that may both be shown (a quarter and its first two months; a ward's parent and
its other wards) differ by whole cells, and a difference made of cells that each hold 0 or
at least ``minimum`` answers holds 0 or at least ``minimum`` answers too. Checking only the
totals would let "the quarter minus January minus February" reveal a March of 2 answers.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping


def cell_disclosed(answers: int, minimum: int) -> bool:
    """A cell may be part of a shown figure: no answers, or at least ``minimum``."""
    return answers == 0 or answers >= minimum


def small_cells(cells: Mapping[Hashable, int], minimum: int) -> list[Hashable]:
    """The cells that keep a figure built on them from being shown, in key order."""
    return sorted((key for key, n in cells.items() if not cell_disclosed(n, minimum)),
                  key=repr)


def disclosed(cells: Mapping[Hashable, int], minimum: int) -> bool:
    """Whether a figure that sums these cells may be shown."""
    return not small_cells(cells, minimum)


def reveals_fewer(larger: int, smaller: int, minimum: int) -> bool:
    """Whether two figures, one nested in the other, differ by 1 to ``minimum`` - 1
    answers: the pair a differencing attack uses."""
    return 0 < larger - smaller < minimum
