"""A dataset recipe (``catalogs/<id>.yaml``) loaded into a typed, validated :class:`Recipe`.

Validation order for one file: the id (file name), the YAML, the top-level keys and metadata,
the source against its connector's ``Params``, each processor step against its processor's
``Params``, the cron schedule. Every problem of every file is collected; then the catalog-wide
checks (datasets named by join steps exist, no dependency cycle) run.

:func:`read_catalog` keeps going past a broken recipe: that dataset is left out (never
refreshed nor served from a file that does not load: fail closed, one dataset at a time) and its
problems are kept, so the other datasets refresh and are served. :func:`load_catalog` is the
strict form (`agora check`): one problem anywhere and it raises :class:`ConfigProblems`. The
format is documented in docs/recipes.md.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, field_validator

from ..alerts.rules import AlertRule
from ..config.environment import is_settings_variable
from ..config.problems import ConfigProblems, Problem
from ..config.yamlfile import line_for, load_yaml_with_lines
from ..policy.access import AccessRules
from . import registry
from .cron import Cron
from .deps import dependency_problems
from .interfaces import Params
from .recipe_validation import leading_zero_problems, readable_key, suggest, validate

DATASET_ID = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
# Recipe word -> EU "frequency" authority table code (DCAT-AP dct:accrualPeriodicity).
FREQUENCIES = {
    "continuous": "UPDATE_CONT", "hourly": "HOURLY", "daily": "DAILY", "weekly": "WEEKLY",
    "biweekly": "BIWEEKLY", "monthly": "MONTHLY", "quarterly": "QUARTERLY",
    "semiannual": "ANNUAL_2", "annual": "ANNUAL", "irregular": "IRREG", "never": "NEVER",
    "unknown": "UNKNOWN",
}
Frequency = Literal[tuple(FREQUENCIES)]  # type: ignore[valid-type]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Model):
    name: str = Field(description="Team or person answering questions about the data.")
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                              description="Contact e-mail address, e.g. donnees@example.org.")


Text = str | dict[str, str]  # one text, or {fr: ..., en: ...}


def localised(text: Text | None) -> dict[str, str] | None:
    """`text` as {"fr": ..., "en": ...}; a plain string stands for both languages.

    >>> localised("PM10"), localised({"fr": "Commune"})
    ({'fr': 'PM10', 'en': 'PM10'}, {'fr': 'Commune', 'en': 'Commune'})
    """
    if text is None:
        return None
    if isinstance(text, str):
        return {"fr": text, "en": text}
    first = next(iter(text.values()))
    return {"fr": text.get("fr", first), "en": text.get("en", first)}


class ColumnDoc(_Model):
    """What a column means, for the people reading it (chart axes, table headers, menus)."""

    title: Text | None = Field(None, description="Readable name, e.g. 'PM10' or "
                               "{fr: Commune, en: Municipality}.")
    description: Text | None = Field(None, description="What the values are, in a sentence.")
    unit: str | None = Field(None, description="Unit of the values, e.g. µg/m³ or €.")

    @field_validator("title", "description", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if (isinstance(value, dict) and value and set(value) <= {"fr", "en"}
                and all(isinstance(v, str) for v in value.values())):
            return value
        raise ValueError("write a text, or {fr: <French>, en: <English>}")


class Metadata(_Model):
    title: str = Field(min_length=1, description="Title shown in catalogs and dashboards.")
    description: str = Field(min_length=1, description="What the data is (Markdown).")
    theme: str | None = Field(None, description="DCAT-AP data theme (ENVI, TRAN...) or a label.")
    keywords: list[str] = Field([], description="Search keywords, e.g. [air, pollution].")
    publisher: str | None = Field(None, description="Organisation publishing the data.")
    licence: str | None = Field(None, description="Licence id or URL, e.g. etalab-2.0.")
    contact: Contact | None = Field(None, description="{name: ..., email: ...}")
    update_frequency: Frequency | None = Field(
        None, description="DCAT frequency: " + ", ".join(FREQUENCIES))
    spatial: str | None = Field(None, description="Spatial coverage, free text.")
    synthetic: bool = Field(False, description="true for generated demo data.")
    column_docs: dict[str, ColumnDoc] = Field(
        {}, description="column name -> {title, description, unit}: what readers see instead "
        "of the names (chart axes, table headers, menus).")

    @property
    def frequency_uri(self) -> str | None:
        code = FREQUENCIES.get(self.update_frequency or "")
        return EU_FREQUENCY + code if code else None


class RefreshOptions(_Model):
    max_dropped_fraction: float | None = Field(
        None, ge=0, le=1, description="Share of rows processors may drop (0-1); default: "
        "data.max_dropped_fraction.")
    max_shrink_fraction: float | None = Field(
        None, ge=0, le=1, description="Share of its rows the dataset may lose from one version "
        "to the next (0-1); default: data.max_shrink_fraction.")
    retain_versions: int | None = Field(
        None, ge=1, description="Snapshot versions kept; default: data.retain_versions.")
    max_source_bytes: int | None = Field(
        None, gt=0, description="Largest source this refresh reads, in bytes; default: "
        "data.max_source_bytes.")
    timeout_seconds: float = Field(600, gt=0, description="Seconds a refresh may take.")


class _Document(Metadata):
    """The whole file as written; source and processors are checked separately."""

    source: dict[str, Any] = Field(description="connector: <name> plus that connector's params")
    processors: list[Any] = Field([], description="ordered list of {processor_name: params}")
    schedule: str | None = Field(
        None, description="cron with 5 fields (minute hour day month weekday), Europe/Paris "
        "time, e.g. '0 6 * * *'; omit for manual refresh only")
    refresh: RefreshOptions = Field(RefreshOptions(), description="refresh options")
    access: AccessRules = Field(AccessRules(), description="who may read the dataset")
    alerts: list[AlertRule] = Field([], description="alert rules judged after each refresh "
                                    "(docs/alerts.md)")

    @field_validator("alerts")
    @classmethod
    def _distinct_alert_names(cls, rules: list[AlertRule]) -> list[AlertRule]:
        names = [r.name for r in rules]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"alert name {twice[0]!r} is used twice: give each rule its own")
        return rules

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            Cron.parse(value)
        return value


class SourceSpec(_Model):
    connector: str
    params: SerializeAsAny[Params]


def _named_params(value: Any, key: str, wanted):
    """(value, dotted key) of every field whose name is `wanted(name)`, in nested models,
    mappings and lists."""
    if isinstance(value, BaseModel):
        value = {name: getattr(value, name) for name in type(value).model_fields}
    if isinstance(value, dict):
        for name, item in value.items():
            child = f"{key}.{name}" if key else str(name)
            if wanted(str(name)):
                yield item, child
            else:
                yield from _named_params(item, child, wanted)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _named_params(item, f"{key}.{index}" if key else str(index), wanted)


def _dataset_params(value: Any, key: str):
    """(dataset, dotted key) for every `dataset` field in nested models, mappings, lists."""
    for item, child in _named_params(value, key, lambda name: name == "dataset"):
        names = [item] if isinstance(item, str) else item
        names = names if isinstance(names, (list, tuple)) else []
        yield from ((n, child) for n in names if isinstance(n, str))


def _environment_params(value: Any, key: str = ""):
    """(name, dotted key) of the environment variables a source or processor reads
    (`url_env`, `key_env`...)."""
    for item, child in _named_params(value, key, lambda name: name.endswith("_env")):
        if isinstance(item, str) and item:
            yield item, child


HUB_VARIABLE_PREFIXES = ("JUPYTERHUB_", "CONFIGPROXY_")


def hub_variable(name: str) -> bool:
    """A variable of the hub itself (its API and crypt keys, the proxy's token, a setting such
    as the OIDC client secret): never handed to a source, which could send it anywhere."""
    return name.startswith(HUB_VARIABLE_PREFIXES) or is_settings_variable(name)


def _environment_problems(params: list[tuple[Any, str]], file: str, lines: dict) -> list:
    return [Problem(file, key, f"{name} is a variable of the hub itself, not a source secret",
                    "put the secret in a variable of its own, e.g. " +
                    f"{Path(file).stem}_{key.split('.')[-1].removesuffix('_env')}".upper(),
                    line_for(lines, key))
            for value, prefix in params for name, key in _environment_params(value, prefix)
            if hub_variable(name)]


class Step(_Model):
    processor: str
    params: SerializeAsAny[Params]

    @cached_property
    def dependency_keys(self) -> dict[str, str]:
        """{dataset this step reads: its param's dotted key}, from every `dataset` param,
        also nested (join: {dataset: x}, geo: {within: {dataset: x}})."""
        keys: dict[str, str] = {}
        for dataset, key in _dataset_params(self.params, ""):
            keys.setdefault(dataset, key)
        return keys

    @cached_property
    def dependencies(self) -> tuple[str, ...]:
        return tuple(self.dependency_keys)


class Recipe(_Model):
    id: str
    file: str
    metadata: Metadata
    source: SourceSpec
    processors: tuple[Step, ...] = ()
    schedule: str | None = None
    refresh: RefreshOptions = RefreshOptions()
    access: AccessRules = AccessRules()
    alerts: tuple[AlertRule, ...] = ()
    lines: dict[str, int] = Field(default_factory=dict, exclude=True, repr=False)

    @cached_property
    def dependencies(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d for step in self.processors for d in step.dependencies))

    @property
    def environment_names(self) -> tuple[str, ...]:
        """Environment variables this recipe's source and processors read (their secrets)."""
        params = [self.source.params, *(step.params for step in self.processors)]
        return tuple(dict.fromkeys(n for p in params for n, _ in _environment_params(p)))

    @property
    def cron(self) -> Cron | None:
        return Cron.parse(self.schedule) if self.schedule else None

    @property
    def source_hash(self) -> str:
        """Hash of the source alone (connector and params): a snapshot's recorded source
        columns are this recipe's while it is the same."""
        text = json.dumps([self.source.connector, self.source.params.model_dump(mode="json")],
                          sort_keys=True, default=str)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    @property
    def hash(self) -> str:
        """Hash of what determines the data (source and processors, not the metadata)."""
        recipe = {"source": [self.source.connector, self.source.params.model_dump(mode="json")],
                  "processors": [[s.processor, s.params.model_dump(mode="json")]
                                 for s in self.processors]}
        text = json.dumps(recipe, sort_keys=True, default=str)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def valid_id(name: str) -> str:
    """A dataset id close to `name` that DATASET_ID accepts.

    >>> valid_id("Qualité-Air"), valid_id("T"), valid_id("2013")
    ('qualite_air', 't_data', 'dataset_2013')
    """
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_]+", "_", plain.lower()).strip("_") or "dataset"
    slug = (slug if slug[0].isalpha() else "dataset_" + slug)[:63].rstrip("_")
    return slug if len(slug) >= 2 else slug + "_data"


def id_problem(path: Path) -> Problem | None:
    if DATASET_ID.match(path.stem):
        return None
    return Problem(str(path), "", f"dataset id {path.stem!r} (the file name) is not valid",
                   f"rename the file to e.g. {valid_id(path.stem)}.yaml: lower case letters, "
                   "digits and _, starting with a letter, 2 to 63 characters", line=None)


def _source(raw: dict, file: str, lines: dict, problems: list) -> SourceSpec | None:
    params = {k: v for k, v in raw.items() if k != "connector"}
    name = raw.get("connector")
    if name is None:
        problems.append(Problem(file, "source.connector", "missing required key", "add it: " +
                                suggest("", registry.connectors()), line_for(lines, "source")))
        return None
    try:
        connector = registry.connector(name)
    except registry.UnknownName as unknown:
        problems.append(Problem(file, "source.connector", unknown.message, unknown.fix,
                                line_for(lines, "source.connector")))
        return None
    validated = validate(connector.Params, params, file, "source", lines, problems)
    return SourceSpec(connector=name, params=validated) if validated else None


def _step(index: int, raw: Any, file: str, lines: dict, problems: list) -> Step | None:
    key = f"processors.{index}"
    if not isinstance(raw, dict) or len(raw) != 1:
        problems.append(Problem(file, key, "a step must be a one-key mapping",
                                "write it as `- processor_name: {param: value}`",
                                line_for(lines, key)))
        return None
    name, params = next(iter(raw.items()))
    try:
        processor = registry.processor(name)
    except registry.UnknownName as unknown:
        problems.append(Problem(file, f"{key}.{name}", unknown.message, unknown.fix,
                                line_for(lines, f"{key}.{name}")))
        return None
    validated = validate(processor.Params, params, file, f"{key}.{name}", lines, problems)
    return Step(processor=name, params=validated) if validated else None


def _build(path: Path, data: Any, lines: dict) -> Recipe:
    file, problems = str(path), []
    if not isinstance(data, dict):
        raise ConfigProblems([Problem(file, "", "a recipe must be a mapping of keys",
                                      "start with `title:` (see docs/recipes.md)", line=1)])
    doc = validate(_Document, data, file, "", lines, problems)
    raw_source, raw_steps = data.get("source"), data.get("processors")
    source = _source(raw_source, file, lines, problems) if isinstance(raw_source, dict) else None
    raw_steps = raw_steps if isinstance(raw_steps, list) else []
    steps = [_step(i, raw, file, lines, problems) for i, raw in enumerate(raw_steps)]
    if not problems and source is not None:
        problems = _environment_problems(
            [(source.params, "source"), *((step.params, f"processors.{i}.{step.processor}")
                                         for i, step in enumerate(steps))], file, lines)
    reported = {p.key for p in problems}
    problems += [p for p in leading_zero_problems(file, lines) if p.key not in reported]
    if problems:
        raise ConfigProblems(sorted((replace(p, key=readable_key(p.key)) for p in problems),
                                    key=lambda p: p.line or 0))
    metadata = Metadata.model_validate(doc.model_dump(include=set(Metadata.model_fields)))
    return Recipe(id=path.stem, file=file, metadata=metadata, source=source,
                  processors=tuple(steps), schedule=doc.schedule, refresh=doc.refresh,
                  access=doc.access, alerts=tuple(doc.alerts), lines=lines)


def load_recipe(path: Path) -> Recipe:
    """Load one recipe file; raise ConfigProblems listing every problem in it."""
    path = Path(path)
    bad_id = id_problem(path)
    try:
        data, lines = load_yaml_with_lines(path)
        recipe = _build(path, data, lines)
    except ConfigProblems as exc:
        raise ConfigProblems(([bad_id] if bad_id else []) + exc.problems) from None
    if bad_id:
        raise ConfigProblems([bad_id])
    return recipe


def recipe_files(catalog_dir: Path) -> tuple[list[Path], list[Problem]]:
    """The recipe files of a catalog folder (`_*` and dot files are reserved, not recipes)."""
    if not catalog_dir.is_dir():
        return [], [Problem(str(catalog_dir), "", "catalog folder not found",
                            "create it, or set data.catalog_dir in workspace.yaml")]
    files, problems = [], []
    for path in sorted(catalog_dir.iterdir()):
        if path.name.startswith((".", "_")) or not path.is_file():
            continue
        if path.suffix == ".yml":
            problems.append(Problem(str(path), "", "recipe files end in .yaml",
                                    f"rename it to {path.stem}.yaml"))
        elif path.suffix == ".yaml":
            files.append(path)
    return files, problems


class RecipeCache:
    """Recipe files already parsed, by path, size, mtime and inode: reloading a catalog of
    1,000 recipes after one of them changed parses only that one (14 ms instead of 0.6-3 s).
    The file is stat'ed before it is read, so a write during the read is seen at the next
    load."""

    def __init__(self):
        self._entries: dict[Path, tuple[tuple, Recipe | ConfigProblems]] = {}

    def load(self, path: Path) -> Recipe:
        try:
            info = path.stat()
            key = (info.st_size, info.st_mtime_ns, info.st_ino)
        except OSError:
            key = None
        entry = self._entries.get(path)
        if key is None or entry is None or entry[0] != key:
            try:
                outcome: Recipe | ConfigProblems = load_recipe(path)
            except ConfigProblems as exc:
                outcome = exc
            entry = (key, outcome)
            if key is not None:
                self._entries[path] = entry
        if isinstance(entry[1], ConfigProblems):
            raise entry[1]
        return entry[1]

    def keep_only(self, paths) -> None:
        """Forget the files that are gone."""
        for path in set(self._entries) - set(paths):
            del self._entries[path]


@dataclass
class Catalog:
    """The recipes that load, and the problems of the others (see :func:`read_catalog`)."""

    recipes: dict[str, Recipe] = field(default_factory=dict)
    broken: dict[str, list[Problem]] = field(default_factory=dict)  # file stem -> its problems
    others: list[Problem] = field(default_factory=list)  # not one recipe's (plugins left out)

    @property
    def problems(self) -> list[Problem]:
        every = self.others + [p for found in self.broken.values() for p in found]
        return sorted(dict.fromkeys(every), key=lambda p: (p.file, p.line or 0))

    def problems_of(self, datasets) -> list[Problem]:
        """The problems of the broken recipes among `datasets`, in file order."""
        return list(dict.fromkeys(p for d in sorted(set(datasets) & set(self.broken))
                                  for p in self.broken[d]))


def read_catalog(catalog_dir: Path, cache: RecipeCache | None = None) -> Catalog:
    """Load every recipe that loads; a recipe with a problem (its file, or a join naming an
    unknown dataset or in a cycle) is left out, its problems kept in ``broken``. Raises
    ConfigProblems only when the folder cannot be read. With `cache`, files unchanged since
    it last read them are not parsed again."""
    files, problems = recipe_files(Path(catalog_dir))
    if not Path(catalog_dir).is_dir():
        raise ConfigProblems(problems)
    catalog = Catalog(others=registry.plugin_problems())
    for problem in problems:  # x.yml
        catalog.broken.setdefault(Path(problem.file).stem, []).append(problem)
    files = [p for p in files if p.stem not in catalog.broken]
    load = cache.load if cache is not None else load_recipe
    if cache is not None:
        cache.keep_only(files)
    for path in files:
        try:
            catalog.recipes[path.stem] = load(path)
        except ConfigProblems as exc:
            catalog.broken[path.stem] = list(exc.problems)
    _refuse_refused_plugins(catalog)
    by_file = {recipe.file: dataset for dataset, recipe in catalog.recipes.items()}
    for problem in dependency_problems(catalog.recipes, known={p.stem for p in files}):
        catalog.broken.setdefault(by_file[problem.file], []).append(problem)
    for dataset in catalog.broken:
        catalog.recipes.pop(dataset, None)
    return catalog


def _refuse_refused_plugins(catalog: Catalog) -> None:
    """A recipe naming a connector or processor whose plugin was left out is broken too."""
    refused = registry.refused_plugins()
    for dataset, recipe in list(catalog.recipes.items()):
        named = [recipe.source.connector, *(step.processor for step in recipe.processors)]
        why = list(dict.fromkeys(refused[name] for name in named if name in refused))
        if why:
            catalog.broken[dataset] = why
            del catalog.recipes[dataset]


def load_catalog(catalog_dir: Path, cache: RecipeCache | None = None) -> dict[str, Recipe]:
    """Load and validate every recipe; raise ConfigProblems with all problems of all files
    (and of plugins left out, registry.plugin_problems): the strict form of read_catalog."""
    catalog = read_catalog(catalog_dir, cache)
    if catalog.problems:
        raise ConfigProblems(catalog.problems)
    return catalog.recipes


def recipe_secret_names(catalog_dir: Path) -> list[str]:
    """Variables the recipes' sources and processors read (`url_env`, `api_key_env`...); recipes
    cannot name JUPYTERHUB_* or settings variables (`agora check` refuses them). A recipe that
    does not load is skipped here: `agora check` and the refresh report it."""
    names: dict[str, None] = {}
    for path in recipe_files(catalog_dir)[0]:
        try:
            names.update(dict.fromkeys(load_recipe(path).environment_names))
        except ConfigProblems:
            continue
    return list(names)
