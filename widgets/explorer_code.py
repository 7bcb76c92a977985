"""The Python cell equivalent to an Explorer view ("Copier le code"): imports and one call.

The call is :func:`widgets.explorer_choices.widget_call`'s, the same one the Explorer builds
its view with, written with plain literals; filters become ``where=[...]``.
"""

from __future__ import annotations

from .code_text import call
from .explorer_choices import Choice, widget_call


def cell(choice: Choice, locale: str | None = None, columns=()) -> str:
    """The cell that shows `choice`'s view in a notebook (`columns`: describe's, for the
    words of its title).

    >>> print(cell(Choice("budget", group="commune", measure="sum:amount", chart="bar",
    ...                   where=(("kind", "in", ["voirie"]),)), locale="en"))
    from widgets import BarChart
    <BLANKLINE>
    BarChart.of(
        "budget",
        by="commune",
        measure="sum:amount",
        where=[("kind", "in", ["voirie"])],
        title="Total amount by commune",
        locale="en",
    )
    """
    name, arguments = widget_call(choice, locale, columns)
    dataset = arguments.pop("dataset")
    return f"from widgets import {name}\n\n{call(f'{name}.of', dataset, **arguments)}"
