"""The crowded cells of a grid, searched with numpy one selected box at a time instead of pair by pair.

A cell holding k boxes has k^2 / 2 pairs, but NMS and Soft-NMS only ever need the pairs of a
box they select (keep) with the boxes still undecided. Keeping each crowded cell's undecided
boxes and comparing a selected box with them all at once costs O(k) per selection, and piles
shrink fast as their boxes are suppressed or decayed away.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from model_runner.features.array_types import FloatArray, IndexArray
from model_runner.features.cell_grid import BoolArray, CellGrid, iou

CROWDED_CELL = 64
"""Boxes in a cell above which NMS and Soft-NMS search it in bulk rather than list its pairs."""

FateArray = npt.NDArray[np.uint8]
"""Per box: 0 while undecided; any other value once kept, selected, suppressed or dropped."""


class CrowdedCells:
    """The undecided boxes of each crowded cell of a grid, in the grid's order within the cell."""

    def __init__(self, grid: CellGrid, crowded: BoolArray) -> None:
        self.grid = grid
        entries, starts, lengths = grid.entries_of_runs(crowded)
        members = grid.box[entries]
        self.members: list[IndexArray] = (
            np.split(members, np.cumsum(lengths)[:-1].tolist()) if entries.size else []
        )
        self.column: list[int] = grid.column[starts].tolist()
        self.row: list[int] = grid.row[starts].tolist()
        # The crowded cells of box b are cells[bounds[b]:bounds[b + 1]].
        by_box = np.argsort(members, kind="stable")
        self.cells: list[int] = np.repeat(np.arange(starts.size), lengths)[by_box].tolist()
        self.bounds: list[int] = np.searchsorted(members[by_box], np.arange(len(grid.boxes) + 1)).tolist()

    def boxes(self) -> IndexArray:
        """Every box in a crowded cell."""
        found: IndexArray = np.unique(np.concatenate([np.empty(0, np.intp), *self.members]))
        return found

    def remaining(self, cell: int, fate: FateArray) -> IndexArray:
        """The undecided boxes of ``cell`` (the decided ones are dropped from it for good)."""
        members = self.members[cell]
        remaining: IndexArray = members[fate[members] == 0]
        self.members[cell] = remaining
        return remaining

    def best(self, cell: int, score: FloatArray, fate: FateArray) -> tuple[float, int] | None:
        """The score and position of the cell's best undecided box (the first of equals), if any."""
        members = self.remaining(cell, fate)
        if not members.size:
            return None
        scores = score[members]
        position = int(np.argmax(scores))
        return float(scores[position]), int(members[position])

    def overlaps(self, box: int, fate: FateArray) -> tuple[IndexArray, FloatArray]:
        """The undecided boxes overlapping ``box`` whose overlap is at home in one of its crowded cells.

        Each such pair comes once, with its IoU (> 0); ``box`` in no crowded cell finds none.
        """
        grid = self.grid
        column, row = int(grid.first_column[box]), int(grid.first_row[box])
        parts = [np.empty(0, np.intp)]
        for cell in self.cells[self.bounds[box] : self.bounds[box + 1]]:
            members = self.remaining(cell, fate)
            # Both boxes cover the cell, so their overlap starts in its column if either box does.
            if self.column[cell] != column:
                members = members[grid.first_column[members] == self.column[cell]]
            if self.row[cell] != row:
                members = members[grid.first_row[members] == self.row[cell]]
            parts.append(members)
        members = np.concatenate(parts)
        overlap = iou(grid.boxes[box], grid.boxes[members])
        hit = np.flatnonzero(overlap > 0)
        return members[hit], overlap[hit]
