"""Python source text for the cells the widgets give to copy: literals and keyword calls.

Values are written as plain Python literals (numpy numbers as Python numbers, dates as ISO
text, strings in double quotes), so a pasted cell runs in any notebook.
"""

from __future__ import annotations

import json
from datetime import date, datetime

WIDTH = 88  # a call longer than this is written one argument per line


def literal(value) -> str:
    """`value` as Python source.

    >>> literal(["Lyon", 2.5, ("pm10", "ge", 20)])
    '["Lyon", 2.5, ("pm10", "ge", 20)]'
    """
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        value = value.item()  # numpy scalars
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (datetime, date)):
        return literal(value.isoformat())
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def call(function: str, *args, **kwargs) -> str:
    """A call with literal arguments, wrapped one argument a line when long.

    >>> call("KPICard.of", "budget", measure="count", better=None)
    'KPICard.of("budget", measure="count", better=None)'
    """
    parts = [literal(a) for a in args] + [f"{k}={literal(v)}" for k, v in kwargs.items()]
    one_line = f"{function}({', '.join(parts)})"
    if len(one_line) <= WIDTH:
        return one_line
    return f"{function}(\n" + "".join(f"    {p},\n" for p in parts) + ")"
