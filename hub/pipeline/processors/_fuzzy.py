"""Nearest canonical value by edit distance, for misspelt names (communes, services...).

Runs on the UNIQUE values that matched nothing exactly, never per row. Candidates are first
narrowed by length (the distance is at least the length difference), then compared with a
Levenshtein distance that stops as soon as a row of the table exceeds the limit.
"""

from __future__ import annotations

from collections import defaultdict


def levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance between `a` and `b`, or `limit + 1` as soon as it must exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


class NearestMatcher:
    """Index of folded canonical keys -> canonical value, queried with a distance limit."""

    def __init__(self, keys: dict[str, str], max_distance: int):
        self.max_distance = max_distance
        self.by_length: dict[int, list[str]] = defaultdict(list)
        self.values = keys
        for key in keys:
            self.by_length[len(key)].append(key)

    def nearest(self, query: str) -> str | None:
        """The canonical value whose key is closest to `query`; None if none or a tie."""
        best, best_distance, tie = None, self.max_distance + 1, False
        for length in range(len(query) - self.max_distance, len(query) + self.max_distance + 1):
            for key in self.by_length.get(length, ()):
                distance = levenshtein(query, key, self.max_distance)
                if distance < best_distance:
                    best, best_distance, tie = key, distance, False
                elif distance == best_distance and best is not None and key != best:
                    tie = tie or self.values[key] != self.values[best]
        if best is None or tie:
            return None
        return self.values[best]
