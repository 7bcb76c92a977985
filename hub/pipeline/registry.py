"""The connectors and processors a recipe can name, built-in and from installed plugins.

The first lookup imports the built-in modules listed here and the classes of the installed
plugins (entry-point groups ``agora.connectors`` and ``agora.processors``). A plugin that cannot
be loaded, or that takes a name already in use, is left out and reported as a problem.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType

from ..config.problems import Problem
from .interfaces import Connector, Params, Processor
from .recipe_validation import suggest

GROUPS = {Connector: "agora.connectors", Processor: "agora.processors"}


class UnknownName(LookupError):
    """No built-in module or plugin provides this connector or processor."""

    def __init__(self, kind: str, name: str, known: Iterable[str]):
        self.message = f"unknown {kind} {name!r}"
        self.fix = suggest(name, known)
        super().__init__(f"{self.message}: {self.fix}")


@dataclass(frozen=True)
class Plugins:
    """The connector and processor classes by name, and the plugins refused."""

    connectors: Mapping[str, type[Connector]]
    processors: Mapping[str, type[Processor]]
    problems: Sequence[Problem] = ()
    refused: Mapping[str, Problem] = field(default_factory=dict)  # entry point name -> why

    @classmethod
    def of(cls, connectors: Iterable[type[Connector]],
           processors: Iterable[type[Processor]]) -> Plugins:
        return cls({c.name: c for c in connectors}, {p.name: p for p in processors})


_plugins: Plugins | None = None
_loading = threading.Lock()


def connector(name: str) -> type[Connector]:
    """The connector recipes call `name`; UnknownName (with a did-you-mean) when none is."""
    return _find("connector", name, connectors())


def processor(name: str) -> type[Processor]:
    """The processor recipes call `name`; UnknownName (with a did-you-mean) when none is."""
    return _find("processor", name, processors())


def connectors() -> Mapping[str, type[Connector]]:
    return _installed().connectors


def processors() -> Mapping[str, type[Processor]]:
    return _installed().processors


def plugin_problems() -> list[Problem]:
    """Why installed plugins were left out (one problem per entry point)."""
    return list(_installed().problems)


def refused_plugins() -> Mapping[str, Problem]:
    """The connector and processor names of the plugins left out, and why: a recipe naming
    one is not loaded (it may mean the refused plugin, not the class holding the name)."""
    return _installed().refused


def _find(kind: str, name: str, known: Mapping[str, type]) -> type:
    if name not in known:
        raise UnknownName(kind, name, known)
    return known[name]


def _installed() -> Plugins:
    global _plugins
    if _plugins is None:
        with _loading:
            _plugins = _plugins or _load()
    return _plugins


def _load() -> Plugins:
    connectors = {cls.name: cls for cls in _builtin_connectors()}
    processors = {cls.name: cls for cls in _builtin_processors()}
    refused = _add_plugins(connectors, Connector) + _add_plugins(processors, Processor)
    return Plugins(connectors, processors, [problem for _, problem in refused],
                   dict(refused))


def _builtin_connectors() -> list[type[Connector]]:
    from .connectors import ckan, files, geofiles, opendatasoft, sql, wfs

    return _named_classes((ckan, files, geofiles, opendatasoft, sql, wfs), Connector)


def _builtin_processors() -> list[type[Processor]]:
    from .processors import (
        anonymise,
        columns,
        dates,
        dedupe,
        geo,
        geo_join,
        join,
        nested,
        numeric,
        rows,
        text,
        validate,
    )

    return _named_classes((anonymise, columns, dates, dedupe, geo, geo_join, join, nested,
                           numeric, rows, text, validate), Processor)


def _named_classes(modules: Iterable[ModuleType], base: type) -> list[type]:
    """The subclasses of `base` defined in `modules` that have a `name` (shared bases have none)."""
    return [value for module in modules for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, base)
            and value.__module__ == module.__name__ and "name" in vars(value)]


class _Refused(Exception):
    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.message, self.fix = message, fix


def _add_plugins(registered: dict[str, type], base: type) -> list[tuple[str, Problem]]:
    """Add the classes of `base`'s entry-point group to `registered`; return the refusals
    (entry point name, problem)."""
    problems = []
    for entry in entry_points(group=GROUPS[base]):
        try:
            registered[entry.name] = _plugin_class(entry, base, registered)
        except _Refused as refused:
            problems.append((entry.name, _problem(entry, refused)))
    return problems


def _plugin_class(entry: EntryPoint, base: type, registered: Mapping[str, type]) -> type:
    cls, kind = _load_entry(entry), base.__name__.lower()
    if not _is_plugin_class(cls, base):
        raise _Refused(f"{entry.value} is not a {base.__name__} subclass with a Params model",
                       f"point it at a {kind} class (see docs/{kind}s.md)")
    if getattr(cls, "name", None) != entry.name:
        raise _Refused(f"the class's name is {getattr(cls, 'name', None)!r}",
                       "give the entry point and the class's `name` the same name")
    taken = registered.get(entry.name)
    if taken is not None and taken is not cls:
        raise _Refused(f"{entry.name!r} is already {taken.__module__}.{taken.__qualname__}",
                       f"a plugin cannot replace a built-in or another plugin's {kind}: "
                       "give it another name")
    return cls


def _load_entry(entry: EntryPoint) -> object:
    try:
        return entry.load()
    except Exception as exc:
        cause = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise _Refused(f"cannot be loaded ({cause})", "fix or uninstall the distribution") from None


def _is_plugin_class(cls: object, base: type) -> bool:
    params = getattr(cls, "Params", None)
    return (isinstance(cls, type) and issubclass(cls, base) and not inspect.isabstract(cls)
            and isinstance(params, type) and issubclass(params, Params))


def _problem(entry: EntryPoint, refused: _Refused) -> Problem:
    dist = entry.dist
    origin = f"plugin distribution {dist.name} {dist.version}" if dist else "a plugin"
    key = f"entry point {entry.group}: {entry.name} = {entry.value}"
    return Problem(origin, key, refused.message, refused.fix)
