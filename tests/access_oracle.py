"""An independent oracle of the access policy, for the access-matrix and break-in tests.

Nothing here imports the policy or the datasets service: recipes are read as plain YAML,
snapshots straight from the store with pyarrow/geopandas, group memberships and properties
from the hub's REST API, and the rules (who reads, which rows, which columns) are re-implemented
by hand from docs/recipes.md / hub/policy/__init__.py's written evaluation order. The responses
of every format (records JSON, Parquet, CSV, XLSX, GeoJSON) are parsed into rows of canonical
values so they can be compared, as multisets, with what the oracle expects. Aggregates are
recomputed from the oracle's rows in plain Python; their small-count suppression is checked
against the properties docs/policy.md states (every small group withheld, no margin withholding
exactly one, nothing withheld without a small group), not against the service's algorithm.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import math
import shutil
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import requests
import shapely
import yaml

from tests import support
from tests.support import RunningAgora, admin_api_token, hub_api

REPO = Path(__file__).resolve().parent.parent
CATALOGS = REPO / "catalogs"
SERVICE = "services/datasets/"
TEST_KEY = "access-matrix-test-key-" + "0123456789abcdef" * 2

# A test-only recipe next to the demo ones: the demo catalog has no pseudonymise rule and no
# dataset combining row rules with column rules and exemptions, so this one adds them on the
# demo's own social-aid source (synthetic people). Its access section is the point.
PROBE_DATASET = "social_aid_shared"
PROBE_ACCESS = {
    "groups": ["analysts", "officials", "partners"],
    "rows": [{"column": "commune_code", "in_attribute": "territories",
              "applies_to_groups": ["officials"]}],
    "columns": {
        "case_id": {"action": "hide"},
        "email": {"action": "pseudonymise", "exempt_groups": ["admins"]},
        "sex": {"action": "hide", "exempt_groups": ["analysts"]},
        "birth_year": {"action": "generalise", "to": "decade"},
        "decided_on": {"action": "generalise", "to": "month", "exempt_groups": ["analysts"]},
        "amount_eur": {"action": "generalise", "to": "band", "bands": [0, 100, 500, 1000],
                       "exempt_groups": ["analysts"]},
    },
    "min_group_size": 5,
}


def write_catalog(folder: Path) -> Path:
    """The demo catalogs, copied as they are, plus the PROBE_DATASET recipe."""
    folder.mkdir(parents=True, exist_ok=True)
    for recipe in CATALOGS.glob("*.yaml"):
        shutil.copy(recipe, folder / recipe.name)
    probe = yaml.safe_load((CATALOGS / "social_aid_beneficiaries.yaml").read_text())
    probe["title"] = "Social aid shared with partners (test-only recipe)"
    for step in probe["processors"]:
        if "anonymise" in step:  # keep e-mails: the column rule pseudonymises them
            step["anonymise"]["drop"] = [c for c in step["anonymise"]["drop"] if c != "email"]
    probe["access"] = PROBE_ACCESS
    (folder / f"{PROBE_DATASET}.yaml").write_text(yaml.safe_dump(probe, allow_unicode=True))
    return folder


# -- the policy, by hand ---------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    name: str
    groups: frozenset[str]
    attributes: dict  # attribute -> frozenset of str
    admin: bool = False


def accounts_from_hub(agora: RunningAgora, admin_token: str, names) -> dict[str, Account]:
    """Memberships and group properties as the hub holds them (what the service reads)."""
    properties = {}
    found = {}
    for name in names:
        user = hub_api(agora, admin_token, f"users/{name}").json()
        attributes: dict[str, set] = {}
        for group in user["groups"]:
            if group not in properties:
                properties[group] = hub_api(agora, admin_token, f"groups/{group}").json().get(
                    "properties") or {}
            for key, value in properties[group].items():
                values = value if isinstance(value, list) else [value]
                attributes.setdefault(key, set()).update(str(v) for v in values)
        found[name] = Account(name, frozenset(user["groups"]),
                              {k: frozenset(v) for k, v in attributes.items()},
                              bool(user.get("admin")))
    return found


@dataclass(frozen=True)
class Expected:
    """What one account should get of one dataset."""

    allowed: bool
    row_filters: tuple = ()  # ((column, frozenset(values)), ...)
    rules: dict = field(default_factory=dict)  # column -> rule dict (applying ones)

    @property
    def hidden(self) -> set[str]:
        return {c for c, r in self.rules.items() if r["action"] == "hide"}


def expected_access(account: Account, access: dict | None) -> Expected:
    access = access or {}
    if account.name not in (access.get("users") or []) and not (
            account.groups & set(access.get("groups") or [])):
        return Expected(False)
    filters = []
    for rule in access.get("rows") or []:
        if account.groups & set(rule.get("exempt_groups") or []):
            continue
        applies = rule.get("applies_to_groups") or []
        if applies and not account.groups & set(applies):
            continue
        filters.append((rule["column"], account.attributes.get(rule["in_attribute"],
                                                                  frozenset())))
    rules = {column: rule for column, rule in (access.get("columns") or {}).items()
             if not account.groups & set(rule.get("exempt_groups") or [])}
    return Expected(True, tuple(filters), rules)


# -- snapshots -------------------------------------------------------------------------------

def kind_of(arrow_type: str) -> str:
    t = arrow_type.lower()
    if t.startswith(("int", "uint")):
        return "int"
    if t.startswith(("float", "double", "halffloat", "decimal")):
        return "float"
    if t.startswith(("timestamp", "date")):
        return "datetime"
    if t in ("bool", "boolean"):
        return "bool"
    return "str"


class Snapshot:
    """A dataset's current snapshot, read directly from the store (bypassing the service)."""

    def __init__(self, store: Path, dataset: str):
        folder = store / dataset
        self.version = (folder / "CURRENT").read_text().strip()
        self.path = folder / "versions" / self.version / "data.parquet"
        self.manifest = json.loads((self.path.parent / "manifest.json").read_text())
        schema = pq.read_schema(self.path)
        geo = json.loads((schema.metadata or {}).get(b"geo", b"{}"))
        self.geo = geo
        self.geometry_columns = set(geo.get("columns", {}))
        self.columns = [f.name for f in schema]
        self.kinds = {f.name: "geometry" if f.name in self.geometry_columns
                      else kind_of(str(f.type)) for f in schema}

    @cached_property
    def frame(self) -> pd.DataFrame:
        if self.geometry_columns:
            import geopandas

            frame = geopandas.read_parquet(self.path)
            for column in self.geometry_columns:
                series = geopandas.GeoSeries(frame[column], crs=frame[column].crs)
                if series.crs is not None and series.crs.to_epsg() != 4326:
                    series = series.to_crs("OGC:CRS84")
                frame[column] = series
            return frame
        return pd.read_parquet(self.path)

    @property
    def total(self) -> int:
        return len(self.frame)


def _null(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (list, dict, bytes)) else False
    except (TypeError, ValueError):
        return False


def canon(value, kind: str):
    """One value in a form every export format agrees on (None for missing)."""
    if _null(value) or (isinstance(value, str) and value == "" and kind != "str"):
        return None
    if isinstance(value, str) and value == "":
        return None  # CSV cannot tell an empty string from a null
    if kind == "int":
        return int(float(value))
    if kind == "float":
        number = round(float(value), 6)
        return 0.0 if number == 0 else number
    if kind == "bool":
        return value if isinstance(value, bool) else str(value).lower() in ("true", "1")
    if kind == "datetime":
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return stamp.round("s").isoformat()
    if kind == "geometry":
        return to_shape(value)
    return str(value)


def to_shape(value):
    if isinstance(value, (bytes, bytearray)):
        return shapely.from_wkb(bytes(value))
    if isinstance(value, dict):
        return shapely.geometry.shape(value)
    if isinstance(value, str):
        return shapely.from_wkt(value)
    return value  # already a shapely geometry


def pseudonym(value, key: bytes) -> str | None:
    """The documented keyed pseudonym (HMAC-SHA256, 16 hex; a whole float hashed as its
    integer) — computed here independently."""
    if _null(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return hmac.new(key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _band(value, edges) -> str | None:
    if _null(value):
        return None
    fmt = lambda n: str(int(n)) if float(n).is_integer() else str(n)  # noqa: E731
    whole = all(float(e).is_integer() for e in edges)
    x = float(value)
    for lo, hi in zip(edges, edges[1:]):
        if lo <= x < hi:
            return f"{fmt(lo)}-{int(hi) - 1}" if whole else f"[{fmt(lo)}, {fmt(hi)})"
    return f"{fmt(edges[-1])}+" if x >= edges[-1] else None  # below the first edge: no band


def transform(series: pd.Series, rule: dict, key: bytes) -> tuple[list, str]:
    """(values after the column rule, kind of the result)."""
    if rule["action"] == "pseudonymise":
        return [pseudonym(v, key) for v in series], "str"
    to = rule["to"]
    if to == "year":
        return [None if _null(v) else pd.Timestamp(v).year for v in series], "int"
    if to == "month":
        return [None if _null(v) else pd.Timestamp(v).strftime("%Y-%m") for v in series], "str"
    if to == "decade":
        return [None if _null(v) else int(math.floor(float(v) / 10) * 10) for v in series], "int"
    return [_band(v, rule["bands"]) for v in series], "str"


@dataclass
class View:
    """The oracle's answer for one account and one dataset: columns, kinds and rows."""

    columns: list[str]
    kinds: dict[str, str]
    rows: list[tuple]  # canonical values, in `columns` order (geometries as shapes)
    originals: dict[str, set]  # pseudonymised column -> every original value in the snapshot

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def geometry(self) -> str | None:
        return next((c for c in self.columns if self.kinds[c] == "geometry"), None)


def oracle_view(snapshot: Snapshot, expected: Expected, key: bytes) -> View:
    frame = snapshot.frame
    mask = pd.Series(True, index=frame.index)
    for column, values in expected.row_filters:
        mask &= frame[column].map(lambda v: not _null(v) and str(v) in values)
    kept = frame[mask]
    columns, kinds, data, originals = [], {}, [], {}
    for column in snapshot.columns:
        rule = expected.rules.get(column)
        if rule and rule["action"] == "hide":
            continue
        if rule:
            values, kind = transform(kept[column], rule, key)
            if rule["action"] == "pseudonymise":
                originals[column] = {str(v) for v in frame[column] if not _null(v)}
            values = [canon(v, kind) for v in values]
        else:
            kind = snapshot.kinds[column]
            values = [canon(v, kind) for v in kept[column]]
        columns.append(column)
        kinds[column] = kind
        data.append(values)
    return View(columns, kinds, list(zip(*data)) if data else [], originals)


# -- responses -> canonical rows -------------------------------------------------------------

def rows_from_records(body: dict, view: View) -> tuple[list[str], list[tuple]]:
    columns = body["columns"]
    kinds = [view.kinds.get(c, "str") for c in columns]
    return columns, [tuple(canon(r.get(c), k) for c, k in zip(columns, kinds))
                     for r in body["records"]]


def rows_from_parquet(content: bytes, view: View) -> tuple[list[str], list[tuple]]:
    table = pq.read_table(io.BytesIO(content))
    columns = table.column_names
    data = [[canon(v, view.kinds.get(c, "str")) for v in table.column(c).to_pylist()]
            for c in columns]
    return columns, list(zip(*data)) if data else []


def rows_from_csv(content: bytes, view: View) -> tuple[list[str], list[tuple]]:
    reader = csv.reader(io.StringIO(content.decode("utf-8")))
    columns = next(reader)
    kinds = [view.kinds.get(c, "str") for c in columns]
    return columns, [tuple(canon(v, k) for v, k in zip(row, kinds)) for row in reader]


def rows_from_xlsx(content: bytes, view: View) -> tuple[list[str], list[tuple]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    columns = [str(c) for c in next(rows)]
    kinds = [view.kinds.get(c, "str") for c in columns]
    padding = (None,) * len(columns)  # read-only mode drops trailing empty cells
    found = [tuple(canon(v, k) for v, k in zip(tuple(row) + padding, kinds)) for row in rows]
    book.close()
    return columns, found


def rows_from_geojson(content: bytes, view: View) -> tuple[list[str], list[tuple]]:
    body = json.loads(content)
    assert body["type"] == "FeatureCollection"
    geometry = view.geometry
    columns = [c for c in view.columns if c != geometry]
    if body["features"]:
        columns = list(body["features"][0]["properties"])
    kinds = [view.kinds.get(c, "str") for c in columns]
    rows = [tuple(canon(f["properties"].get(c), k) for c, k in zip(columns, kinds))
            + (canon(f["geometry"], "geometry"),) for f in body["features"]]
    return columns + [geometry], rows


PARSERS = {"records": rows_from_records, "parquet": rows_from_parquet, "csv": rows_from_csv,
           "xlsx": rows_from_xlsx, "geojson": rows_from_geojson}


def _split(columns: list[str], rows: list[tuple], kinds: dict[str, str]):
    """(non-geometry tuples, [(non-geometry tuple, {geometry column: shape})])."""
    geo = [i for i, c in enumerate(columns) if kinds.get(c) == "geometry"]
    plain = [i for i in range(len(columns)) if i not in geo]
    keyed = [(tuple(r[i] for i in plain), {columns[i]: r[i] for i in geo}) for r in rows]
    return [k for k, _ in keyed], keyed


def compare_rows(columns: list[str], got: list[tuple], view: View, *, subset: bool = False,
                 label: str = "") -> None:
    """Assert `got` (rows in `columns` order) equals the oracle's rows (or is a sub-multiset)."""
    order = [view.columns.index(c) for c in columns]
    expected = [tuple(r[i] for i in order) for r in view.rows]
    got_plain, got_keyed = _split(columns, got, view.kinds)
    want_plain, want_keyed = _split(columns, expected, view.kinds)
    have, want = Counter(got_plain), Counter(want_plain)
    extra = have - want
    assert not extra, f"{label}: rows the oracle does not allow, e.g. {list(extra)[:3]}"
    if not subset:
        missing = want - have
        assert not missing, f"{label}: rows missing, e.g. {list(missing)[:3]}"
    # geometries: compared with a tolerance for rows whose other values identify them
    unique = {k: g for k, g in want_keyed if want[k] == 1}
    for key, shapes in got_keyed:
        for column, shape in shapes.items():
            target = unique.get(key, {}).get(column)
            if key not in unique:
                continue
            if target is None or shape is None:
                assert target is None and shape is None, f"{label}: geometry {column} of {key}"
                continue
            assert shapely.equals_exact(shape, target, tolerance=1e-5), (
                f"{label}: geometry {column} of {key[:3]} differs from the snapshot's")


# -- aggregates, by hand --------------------------------------------------------------------

@dataclass(frozen=True)
class AggregateQuery:
    """One aggregate request: group keys, an optional month bucket and the measured columns."""

    by: tuple[str, ...] = ()
    bucket: str | None = None  # a date/time column, bucketed by month
    numeric: str | None = None  # measured with sum, mean, p50 and max
    distinct: str | None = None  # counted distinct

    @property
    def keys(self) -> list[str]:
        return [*self.by] + ([f"{self.bucket}_month"] if self.bucket else [])

    @property
    def measures(self) -> list[str]:
        numeric = ([f"{f}_{self.numeric}" for f in ("sum", "mean", "p50", "max")]
                   if self.numeric else [])
        return ["count", *numeric] + ([f"distinct_{self.distinct}"] if self.distinct else [])

    def params(self) -> dict:
        params = {"measure": [m.replace("_", ":", 1) for m in self.measures]}
        if self.by:
            params["by"] = ",".join(self.by)
        if self.bucket:
            params["bucket"] = f"{self.bucket}:month"
        return params


def aggregate_query(view: View, rules: dict) -> AggregateQuery:
    """A query that exercises the view: commune and a generalised column as keys, a month
    bucket of a date column without rule, a numeric column, a pseudonym counted distinct."""
    kinds, free = view.kinds, [c for c in view.columns if c not in rules]
    generalised = [c for c in view.columns if rules.get(c, {}).get("action") == "generalise"]
    pseudonyms = [c for c in view.columns if rules.get(c, {}).get("action") == "pseudonymise"]
    by = [c for c in ("commune_code",) if c in free] + generalised[:1]
    first = lambda names, wanted: next((c for c in names if kinds[c] in wanted), None)  # noqa: E731
    texts = [c for c in free if c not in by]
    return AggregateQuery(tuple(by), first(free, ("datetime",)), first(free, ("int", "float")),
                          (pseudonyms or [None])[0] or first(texts, ("str",)))


def expected_min_group_size(expected: Expected, access: dict | None) -> int | None:
    """docs/policy.md step 4: the recipe's value unless no row or column rule applies."""
    if not expected.row_filters and not expected.rules:
        return None
    return (access or {}).get("min_group_size")


def _quantile(values: list, q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _measures(rows: list[dict], query: AggregateQuery) -> dict:
    found = {"count": len(rows)}
    if query.numeric:
        values = [r[query.numeric] for r in rows if r[query.numeric] is not None]
        n = query.numeric
        found.update({f"sum_{n}": sum(values) if values else None,
                      f"mean_{n}": sum(values) / len(values) if values else None,
                      f"p50_{n}": _quantile(values, 0.5) if values else None,
                      f"max_{n}": max(values) if values else None})
    if query.distinct:
        found[f"distinct_{query.distinct}"] = len({r[query.distinct] for r in rows} - {None})
    return found


def oracle_groups(view: View, query: AggregateQuery) -> dict[tuple, dict]:
    """Group key -> measures, computed from the oracle's rows (canonical values)."""
    groups: dict[tuple, list[dict]] = {}
    for values in view.rows:
        row = dict(zip(view.columns, values))
        if query.bucket:
            stamp = row[query.bucket]
            row[f"{query.bucket}_month"] = None if stamp is None else stamp[:7] + "-01"
        groups.setdefault(tuple(row[k] for k in query.keys), []).append(row)
    if not query.keys and not groups:
        groups[()] = []
    return {key: _measures(rows, query) for key, rows in groups.items()}


def _close(got, want) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(float(got), float(want), rel_tol=1e-6, abs_tol=1e-3)


def compare_aggregate(body: dict, view: View, query: AggregateQuery, min_size: int | None,
                      label: str) -> None:
    """The answer equals the oracle's groups; withheld groups follow docs/policy.md."""
    assert body["columns"] == [*query.keys, *query.measures, "suppressed"], body["columns"]
    want = oracle_groups(view, query)
    kinds = {**view.kinds, **({f"{query.bucket}_month": "str"} if query.bucket else {})}
    got = {tuple(canon(r[k], kinds[k]) for k in query.keys): r for r in body["records"]}
    assert set(got) == set(want), f"{label}: groups differ: {set(got) ^ set(want)}"
    for key, row in got.items():
        small = min_size is not None and want[key]["count"] < min_size
        assert row["suppressed"] or not small, f"{label}: small group shown {key}"
        for name in query.measures:
            expected = None if row["suppressed"] else want[key][name]
            assert _close(row[name], expected), (f"{label}: {name} of {key}: {row[name]} != "
                                                 f"{expected}")
    hidden = [row["suppressed"] for row in got.values()]
    assert any(hidden) == any(min_size is not None and w["count"] < min_size
                              for w in want.values()), f"{label}: withheld without cause"
    assert body["suppressed_groups"] == sum(hidden) and body["groups"] == len(got)
    assert body["min_group_size"] == min_size
    assert_no_margin_withholds_one(list(got), hidden, label)


def assert_no_margin_withholds_one(keys: list[tuple], hidden: list[bool], label: str) -> None:
    """No line of groups sharing all keys but one (of 2+ groups) withholds exactly one."""
    width = len(keys[0]) if keys else 0
    for dim in range(max(width, 1)):
        lines: dict[tuple, list[bool]] = {}
        for key, flag in zip(keys, hidden):
            lines.setdefault(key[:dim] + key[dim + 1:], []).append(flag)
        lonely = [line for line, flags in lines.items() if len(flags) > 1 and sum(flags) == 1]
        assert not lonely, f"{label}: a margin withholds exactly one group: {lonely[:3]}"


# -- HTTP ------------------------------------------------------------------------------------

class Service:
    """GETs to the datasets service with one account's token, with a small response cache."""

    def __init__(self, agora: RunningAgora, token: str | None):
        self.base = agora.url + SERVICE
        self.token = token
        self.session = requests.Session()
        self._cache: dict = {}

    def get(self, path: str, params=None, *, cache: bool = False,
            headers: dict | None = None) -> requests.Response:
        key = (path, json.dumps(params, sort_keys=True, default=str))
        if cache and key in self._cache:
            return self._cache[key]
        all_headers = {"Authorization": f"token {self.token}"} if self.token else {}
        all_headers.update(headers or {})
        response = self.session.get(self.base + path, params=params, headers=all_headers,
                                    timeout=120, allow_redirects=False)
        if cache:
            self._cache[key] = response
        return response


def admin_token(agora: RunningAgora) -> str:
    return admin_api_token(agora, "access tests", expires_in=3600)


def token_made_by_admin(agora: RunningAgora, admin: str, user: str, expires_in: int = 3600,
                        **body) -> str:
    """:func:`tests.support.token_made_by_admin`, living an hour: the access tests run long."""
    return support.token_made_by_admin(agora, admin, user, "access tests", expires_in, **body)


def strings_in(value):
    """Every string (keys and values) in a JSON-like structure."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings_in(v)


def ints_in(value, path=""):
    """(path, int) for every integer in a JSON-like structure (bools excluded)."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from ints_in(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from ints_in(v, f"{path}[{i}]")

