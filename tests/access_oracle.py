"""An independent oracle of the access policy, for the access-matrix and break-in tests.

Nothing here imports the policy or the datasets service: recipes are read as plain YAML,
snapshots straight from the store with pyarrow/geopandas, group memberships and properties
from the hub's REST API, and the rules (who reads, which rows, which columns) are re-implemented
by hand from docs/recipes.md / hub/policy/__init__.py's written evaluation order. The responses
of every format (records JSON, Parquet, CSV, XLSX, GeoJSON) are parsed into rows of canonical
values so they can be compared, as multisets, with what the oracle expects.
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

