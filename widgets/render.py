"""How every widget shows itself: interactive (ipywidgets) or static (self-contained HTML).

A :class:`View` writes ``static_html()``; in "static" mode (PDF reports: the report runner sets
``AGORA_WIDGETS_MODE=static``) that HTML is what Jupyter shows, and in "interactive" mode
(notebooks, Voilà) the ipywidget from ``interactive()``. See docs/decisions/0002.
"""

from __future__ import annotations

import html
import os
from abc import ABC, abstractmethod

MODES = ("interactive", "static")
MODE_VARIABLE = "AGORA_WIDGETS_MODE"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_mode: str | None = None


def _checked(value: str, where: str) -> str:
    if value not in MODES:
        raise ValueError(f"{where}={value!r}: use 'interactive' or 'static'")
    return value


def set_mode(mode: str | None) -> None:
    """Show widgets "interactive" or "static" in this process; None: back to the default.

    >>> set_mode("static"); mode()
    'static'
    >>> set_mode(None)
    """
    global _mode
    _mode = None if mode is None else _checked(mode, "set_mode")


def mode() -> str:
    """"interactive" or "static": set_mode()'s, else $AGORA_WIDGETS_MODE, else "interactive".

    >>> mode() in ("interactive", "static")
    True
    """
    if _mode:
        return _mode
    env = os.environ.get(MODE_VARIABLE)
    return _checked(env, f"${MODE_VARIABLE}") if env else "interactive"


class View(ABC):
    """Base of every widget: a static HTML rendering, an interactive one, and Jupyter display.

    Subclasses write :meth:`static_html` (and :meth:`interactive` when they do more than
    show that HTML). ``display(view)`` and a view as the last expression of a cell both work
    in JupyterLab, Voilà and nbconvert. Example::

        class Hello(View):
            def static_html(self):
                return "<p>Bonjour</p>"

        Hello()            # in a notebook cell: shows "Bonjour"
    """

    _box = None  # the widget shown in interactive mode, kept so that redraw() updates it

    @abstractmethod
    def static_html(self) -> str:
        """Self-contained HTML: no script, no external file, images inline with alt text."""

    def interactive(self):
        """A new ipywidget for this view (default: its static HTML in an ipywidgets.HTML)."""
        import ipywidgets

        return ipywidgets.HTML(self.static_html())

    def widget(self):
        """The ipywidget displayed for this view: one per view, updated by :meth:`redraw`."""
        if self._box is None:
            import ipywidgets

            self._box = ipywidgets.Box([self.interactive()],
                                       layout=ipywidgets.Layout(display="block"))
        return self._box

    def redraw(self) -> None:
        """Update the displayed widget after the view's data or settings changed."""
        if self._box is not None:
            self._box.children = (self.interactive(),)

    def refresh(self) -> None:
        """Re-read the view's data (views built from a dataset) and redraw it."""
        self.redraw()

    def text(self) -> str:
        """A one-line plain-text description (Jupyter's text/plain)."""
        return type(self).__name__

    def _repr_mimebundle_(self, include=None, exclude=None):
        if mode() == "static":
            bundle = {"text/html": self.static_html()}
        else:
            bundle = dict(self.widget()._repr_mimebundle_())
        bundle["text/plain"] = self.text()
        return {k: v for k, v in bundle.items()
                if (not include or k in include) and not (exclude and k in exclude)}


def html_page(*views: View | str, title: str = "Agora", lang: str = "fr") -> str:
    """A whole HTML document of views' static renderings (to save, print or look at).

    >>> "<html lang=\\"en\\">" in html_page("<p>Hi</p>", lang="en")
    True
    """
    body = "\n".join(v if isinstance(v, str) else v.static_html() for v in views)
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n<head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title></head>\n"
            f'<body style="font-family: sans-serif; margin: 1.5rem">\n{body}\n</body>\n</html>\n')
