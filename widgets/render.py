"""Minimal rendering protocol (placeholder: replaced by the full module at merge)."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod

_mode: str | None = None


def mode() -> str:
    """"interactive" or "static": set_mode() wins, then $AGORA_WIDGETS_MODE."""
    return _mode or os.environ.get("AGORA_WIDGETS_MODE", "interactive")


def set_mode(m: str | None) -> None:
    global _mode
    _mode = m


class View(ABC):
    @abstractmethod
    def static_html(self) -> str: ...

    def interactive(self):
        import ipywidgets

        return ipywidgets.HTML(self.static_html())

    def _repr_mimebundle_(self, include=None, exclude=None):
        if mode() == "static":
            return {"text/html": self.static_html()}
        return self.interactive()._repr_mimebundle_()
