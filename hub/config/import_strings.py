"""Implementations an operator swaps (authenticator, spawner...) named as checked import strings.

``module:Class`` or ``module.Class``, as TLJH's ``auth.type``: checked when the settings load
(importable, a subclass of what it replaces), so a typo is one clear line, not a hub crash.
"""

from __future__ import annotations

import importlib

from .settings import SettingError


def load_class(value: str, base: str, key: str) -> type:
    """The class `value` names, refused unless it subclasses `base` (itself an import string)."""
    expected = _import(base, key)
    found = _import(value, key)
    if not (isinstance(found, type) and issubclass(found, expected)):
        raise SettingError(key, f"{value} is not a subclass of {expected.__name__}",
                           f"name a subclass of {base}")
    return found


def _import(value: str, key: str):
    module, _, name = value.rpartition(":") if ":" in value else value.rpartition(".")
    if not module or not name:
        raise SettingError(key, f"{value!r} is not an import string",
                           "write module:Class, e.g. ldapauthenticator:LDAPAuthenticator")
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise SettingError(key, f"cannot import {module} ({exc})",
                           f"install the package that provides {module}, or fix the name") from None
    except AttributeError:
        raise SettingError(key, f"{module} has no {name}", "check the class name") from None
