"""One shape for every configuration problem Agora reports.

A problem names the file, the line when known, the key, what is wrong and what would be
right, so that `agora check` can print one readable line per problem. Loaders collect
problems and raise :class:`ConfigProblems`; nothing is served from a file with problems
(fail closed).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    key: str
    message: str
    fix: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.key or '(top level)'}: {self.message}"
        return f"{text} -> {self.fix}" if self.fix else text


class ConfigProblems(Exception):
    """Raised with every problem found in one or more files."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
