"""Small-count suppression: which groups of one aggregate answer to withhold.

*Primary*: a group of fewer than ``min_size`` rows. *Complementary*: a margin of the answer
(the groups that share every key but one; with one grouping column, the whole answer) never
holds exactly one withheld group, since the margin's total (from another request, or the
caller's row count) minus the groups shown would give it back; the smallest other group of
that margin is withheld too, until no margin holds exactly one. What this does not prevent
is written in docs/policy.md ("Small-count suppression").
"""

from __future__ import annotations

from collections.abc import Sequence


def withheld(keys: Sequence[tuple], sizes: Sequence[int], min_size: int | None) -> list[bool]:
    """One flag per group (same order as `keys`, its grouping values, and `sizes`, its rows)."""
    hidden = [min_size is not None and size < min_size for size in sizes]
    if any(hidden):
        Margins(keys, sizes, hidden).complete()
    return hidden


def margin_lines(keys: Sequence[tuple]) -> list[list[int]]:
    """The groups (indexes) of each margin line: those sharing every key but one."""
    width = len(keys[0]) if keys else 0
    if width <= 1:
        return [list(range(len(keys)))]
    lines: dict[tuple, list[int]] = {}
    for index, key in enumerate(keys):
        for dim in range(width):
            lines.setdefault((dim, key[:dim] + key[dim + 1:]), []).append(index)
    return list(lines.values())


class Margins:
    """The margin lines of one answer, and how many groups each one withholds."""

    def __init__(self, keys: Sequence[tuple], sizes: Sequence[int], hidden: list[bool]):
        self.lines = margin_lines(keys)
        self.sizes, self.hidden = sizes, hidden
        self.member: list[list[int]] = [[] for _ in keys]
        for number, line in enumerate(self.lines):
            for index in line:
                self.member[index].append(number)
        self.count = [sum(hidden[i] for i in line) for line in self.lines]

    def complete(self) -> None:
        """Withhold complements until no line of two or more withholds exactly one group."""
        changed = True
        while changed:
            changed = False
            for number, line in enumerate(self.lines):
                if self.count[number] == 1 and len(line) > 1:
                    self.hide(min((i for i in line if not self.hidden[i]), key=self.cost))
                    changed = True

    def cost(self, index: int) -> tuple:
        """Prefer a complement that leaves no other line withholding exactly one (it may even
        complete one), then the smallest group, then the first."""
        opened = sum(1 for n in self.member[index]
                     if self.count[n] == 0 and len(self.lines[n]) > 1)
        return (opened, self.sizes[index], index)

    def hide(self, index: int) -> None:
        self.hidden[index] = True
        for number in self.member[index]:
            self.count[number] += 1
