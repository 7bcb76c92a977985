"""The OpenAPI 3.1 description of the datasets service (`GET api/openapi.json`).

Written by hand, as data, so that it is the contract: the handlers answer with these shapes
(VisibleDataset.summary() and .to_dict() are checked against the schemas by
tests/unit/test_openapi.py), the notebook client reads them, and schemathesis can fuzz the
service against it. Paths come from paths.py.
"""

from __future__ import annotations

from typing import Any

from ..http.paths import (
    AUDIT,
    CATALOG_JSON,
    CATALOG_YAML,
    DATASETS,
    DCAT_JSONLD,
    EXPORT_FORMATS,
    HARVEST_CSV,
    HARVEST_JSON,
    OPENAPI_JSON,
    base,
)
from ..read.aggregate import MAX_GROUPS, UNITS
from ..read.query import ALL_OPERATORS, MAX_LIMIT

API_VERSION = "1.0.0"
WHERE_PATTERN = rf"^[A-Za-z_][A-Za-z0-9_]*:({'|'.join(ALL_OPERATORS)})(:.*)?$"
MEASURE_PATTERN = r"^(count(:.+)?|(distinct|sum|mean|min|max|p(100|[1-9]?[0-9])):.+)$"
BUCKET_PATTERN = rf"^.+:({'|'.join(UNITS)})$"
ERRORS = {
    "400": "Invalid request: unknown column, bad operator or value, limit out of range.",
    "401": "No credentials (`WWW-Authenticate: token`): send `Authorization: token <TOKEN>`; "
           "`how` says where to make one. A browser's GET (asking for text/html, or carrying "
           "the hub's cookies) is redirected to the login page instead.",
    "403": "The token is invalid, expired or lacks the scope "
           "`access:services!service=datasets` (`how` says what to send); or the endpoint "
           "is for administrators.",
    "404": "No such dataset, or not one the caller may read (the same answer, on purpose); "
           "an unknown export format; a GeoJSON export of a dataset without geometry.",
    "429": "Over one of the caller's fair-use quotas (requests a minute, exports at once, "
           "export bytes a day): retry after the seconds in `Retry-After`.",
    "503": "The catalog could not be loaded: nothing is served until it is fixed (the "
           "service fails closed). Also from the hub's proxy, with `Retry-After`, while the "
           "service is restarting.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


LOCALISED = {"fr": {"type": "string"}, "en": {"type": "string"}}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "string", "description": "What went wrong."},
                       "dataset": {"type": "string", "description": "The dataset asked for."},
                       "status": {"type": "integer", "description": "The HTTP status (401, "
                                  "403, and the proxy's 503)."},
                       "how": {"type": "string", "description": "How to authenticate (401, "
                               "403)."},
                       "quota": {"type": "string", "description": "429: the quota exceeded."},
                       "retry_after": {"type": "integer", "description": "429: seconds to "
                                       "wait, as in the Retry-After header."}},
    },
    "Column": {
        "type": "object", "required": ["name", "type"],
        "properties": {
            "name": {"type": "string"},
            "type": {"type": "string", "description": "Arrow type; `geometry` for geometries."},
            "rule": _nullable("string", description="`pseudonymised`, `generalised to "
                              "<year|month|decade|band>`, or null."),
            "title": _nullable("object", properties=LOCALISED, description="Readable name "
                               "from the recipe; null when the recipe gives none."),
            "description": _nullable("object", properties=LOCALISED,
                                     description="What the values are."),
            "unit": _nullable("string", description="Unit of the values (null when a column "
                              "rule changed them)."),
        },
    },
    "DatasetSummary": {
        "type": "object",
        "required": ["id", "title", "description", "updated", "rows", "geo", "synthetic"],
        "properties": {
            "id": {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,62}$"},
            "title": {"type": "string"},
            "description": {"type": "string", "description": "Markdown."},
            "theme": _nullable("string"),
            "keywords": {"type": "array", "items": {"type": "string"}},
            "licence": _nullable("string"),
            "publisher": _nullable("string"),
            "updated": _nullable("string", format="date-time",
                                 description="When the current snapshot was made."),
            "rows": _nullable("integer", minimum=0, description="Rows the caller may read; "
                              "null when not counted (row rules apply)."),
            "geo": {"type": "boolean"},
            "synthetic": {"type": "boolean"},
        },
    },
    "DatasetListItem": {
        "allOf": [_ref("DatasetSummary"), {
            "type": "object",
            "properties": {
                "version": _nullable("string"),
                "quality": {"type": "object", "properties": {
                    "issues": {"type": "integer"},
                    "columns_with_issues": {"type": "array", "items": {"type": "string"}}}},
            },
        }],
    },
    "DatasetList": {
        "type": "object", "required": ["datasets"],
        "properties": {"datasets": {"type": "array", "items": _ref("DatasetListItem")},
                       "count": {"type": "integer"}},
    },
    "DatasetMetadata": {
        "allOf": [_ref("DatasetSummary"), {
            "type": "object", "required": ["columns"],
            "properties": {
                "contact": {"oneOf": [{"type": "null"}, {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"},
                                   "email": _nullable("string")}}]},
                "update_frequency": _nullable("string"),
                "spatial": _nullable("string"),
                "version": _nullable("string"),
                "columns": {"type": "array", "items": _ref("Column")},
                "quality": {"type": "object", "description": "Counts per visible column "
                            "(checked, nulls, invalid...) and, without row rules, per step."},
                "schema": {"type": "array", "items": _ref("Column")},
                "freshness": {"type": "object", "properties": {
                    "version": _nullable("string"),
                    "created_at": _nullable("string", format="date-time"),
                    "rows": _nullable("integer")}},
                "versions": {"type": "array", "items": {"type": "object", "properties": {
                    "version": {"type": "string"},
                    "created_at": _nullable("string", format="date-time"),
                    "current": {"type": "boolean"}}}},
                "lineage": {"type": "object", "description": "connector, processors, inputs."},
                "refresh": {"type": "object", "description": "Last refresh attempt and "
                            "result."},
            },
        }],
    },
    "SchemaField": {
        "type": "object", "required": ["name", "type"],
        "properties": {"name": {"type": "string"}, "type": {"type": "string"}},
    },
    "Records": {
        "type": "object", "required": ["dataset", "columns", "records", "limit", "offset"],
        "properties": {
            "dataset": {"type": "string"},
            "version": {"type": "string"},
            "columns": {"type": "array", "items": {"type": "string"}},
            "schema": {"type": "array", "items": _ref("SchemaField"),
                       "description": "Arrow type of each column; `geometry` for geometries."},
            "records": {"type": "array", "items": {"type": "object"}, "description":
                        "Dates as ISO 8601 text, geometries as GeoJSON objects in WGS 84."},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next": _nullable("string", format="uri",
                              description="The next page, or null on the last one."),
        },
    },
    "Aggregate": {
        "type": "object",
        "required": ["dataset", "version", "columns", "schema", "records", "groups",
                     "suppressed_groups", "min_group_size"],
        "properties": {
            "dataset": {"type": "string"},
            "version": {"type": "string", "description": "The snapshot aggregated (lineage)."},
            "columns": {"type": "array", "items": {"type": "string"}, "description":
                        "Group keys (by columns, then buckets), measures, then `suppressed`."},
            "schema": {"type": "array", "items": _ref("SchemaField"),
                       "description": "Arrow type of each column (buckets are `date32[day]`)."},
            "records": {"type": "array", "items": {"type": "object"}, "description":
                        "One object per group; a withheld group has `suppressed: true` and "
                        "null measures."},
            "groups": {"type": "integer", "minimum": 0,
                       "description": "Groups before `limit`."},
            "suppressed_groups": {"type": "integer", "minimum": 0,
                                  "description": "Groups withheld, before `limit`."},
            "min_group_size": _nullable("integer", description="The smallest group shown "
                                        "with its measures; null: no suppression for you."),
            "limit": _nullable("integer"),
        },
    },
    "AuditEvent": {
        "type": "object", "required": ["time", "user", "action", "status"],
        "properties": {
            "time": {"type": "string", "format": "date-time"},
            "user": _nullable("string"),
            "action": {"type": "string", "description": "list, metadata, records, "
                       "aggregate, export:<format>, catalog, dcat, harvest, audit"},
            "dataset": _nullable("string"),
            "rows": _nullable("integer"),
            "status": {"type": "integer"},
            **{name: {"type": "array", "items": {"type": "string"}}
               for name in ("filters", "select", "order_by", "limit", "offset", "by",
                            "measures", "buckets")},
            "suppressed_groups": {"type": "integer"},
        },
    },
    "AuditLog": {"type": "array", "items": _ref("AuditEvent")},
    "Index": {
        "type": "object", "required": ["service", "user", "datasets"],
        "properties": {"service": {"type": "string"}, "user": {"type": "string"},
                       "datasets": {"type": "string", "format": "uri"},
                       "docs": {"type": "string"}},
    },
    "HarvestItem": {
        "type": "object",
        "required": ["id", "title", "description", "keywords", "geo", "landing_page",
                     "downloads"],
        "properties": {
            "id": {"type": "string"}, "title": {"type": "string"},
            "description": {"type": "string"}, "theme": _nullable("string"),
            "keywords": {"type": "array", "items": {"type": "string"}},
            "licence": _nullable("string"), "publisher": {"type": "string"},
            "updated": _nullable("string", format="date-time"),
            "frequency": _nullable("string"), "rows": _nullable("integer"),
            "geo": {"type": "boolean"},
            "landing_page": {"type": "string", "format": "uri",
                             "description": "The dataset's page in the portal."},
            "downloads": {"type": "object", "description": "Export format -> URL.",
                          "additionalProperties": {"type": "string", "format": "uri"}},
        },
    },
    "HarvestList": {"type": "object", "required": ["datasets"],
                    "properties": {"datasets": {"type": "array",
                                                "items": _ref("HarvestItem")}}},
}


def _query(name: str, schema: dict, description: str, **extra) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description, **extra}


PARAMETERS: dict[str, Any] = {
    "DatasetId": {"name": "dataset_id", "in": "path", "required": True,
                  "schema": {"type": "string", "pattern": "^[a-z][a-z0-9_]{1,62}$"},
                  "description": "The dataset id (its recipe's file name)."},
    "Select": _query("select", {"type": "string"}, "Columns to return, comma-separated "
                     "(default: every column you may see)."),
    "OrderBy": _query("order_by", {"type": "string"}, "Sort columns, comma-separated; "
                      "`-column` sorts descending."),
    "Where": _query("where", {"type": "array", "items": {"type": "string",
                                                          "pattern": WHERE_PATTERN}},
                    "Filter, repeatable (conditions combine with AND): "
                    "`<column>:<op>:<value>`, op one of " + ", ".join(ALL_OPERATORS) +
                    "; `in` takes values separated by `|`; `is_null` and `not_null` take no "
                    "value.", style="form", explode=True),
    "Limit": _query("limit", {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT,
                              "default": 100}, f"Rows per page (at most {MAX_LIMIT})."),
    "ExportLimit": _query("limit", {"type": "integer", "minimum": 0},
                          "At most this many rows (default: all)."),
    "Offset": _query("offset", {"type": "integer", "minimum": 0, "default": 0},
                     "Rows to skip."),
    "By": _query("by", {"type": "string"}, "Grouping columns, comma-separated (default: "
                 "none, one group). Pseudonymised columns and geometries cannot be grouped."),
    "Bucket": _query("bucket", {"type": "array", "items": {"type": "string",
                                                            "pattern": BUCKET_PATTERN}},
                     "Time bucket, repeatable: `<date or timestamp column>:<unit>`, unit one "
                     "of " + ", ".join(UNITS) + " (week: ISO, from Monday; timestamps with a "
                     "time zone in UTC); the column `<column>_<unit>` holds each bucket's "
                     "first day.", style="form", explode=True),
    "Measure": _query("measure", {"type": "array", "items": {"type": "string",
                                                              "pattern": MEASURE_PATTERN}},
                      "Measure, repeatable (default: `count`): `count` (rows), `count:<c>`, "
                      "`distinct:<c>`, `sum:<c>`, `mean:<c>`, `min:<c>`, `max:<c>`, "
                      "`p<0-100>:<c>` (quantile, interpolated); output column `count`, "
                      "`<function>_<c>`. Pseudonymised columns: count and distinct only.",
                      style="form", explode=True),
    "AggregateOrderBy": _query("order_by", {"type": "string"}, "Sort on output columns, "
                               "comma-separated; `-column` sorts descending; nulls (withheld "
                               "measures) last. Default: by the group keys."),
    "CatalogReader": _query("reader", {"type": "string", "enum": ["stock", "widgets"],
                                       "default": "stock"},
                            "Which readers the entries name: `stock`, Intake's own (pandas, "
                            "geopandas; the token from `AGORA_TOKEN`), or `widgets`, Agora's "
                            "notebook reader."),
    "AggregateLimit": _query("limit", {"type": "integer", "minimum": 0, "maximum": MAX_GROUPS},
                             f"Groups returned (default: all; a request may make at most "
                             f"{MAX_GROUPS} groups)."),
}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying.",
                               "schema": {"type": "integer", "minimum": 1}}}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"description": ERRORS[code],
                   "content": {"application/json": {"schema": _ref("Error")}},
                   **({"headers": RETRY_AFTER} if code == "429" else {})}
            for code in codes}


def _ok(description: str, media_type: str, schema: dict) -> dict[str, Any]:
    return {"200": {"description": description, "content": {media_type: {"schema": schema}}}}


def _params(*names: str) -> list[dict[str, str]]:
    return [{"$ref": f"#/components/parameters/{n}"} for n in names]


def _get(operation_id: str, summary: str, responses: dict, params=(), tags=("datasets",),
         description: str | None = None) -> dict[str, Any]:
    if "401" in responses:  # every authenticated request counts against the caller's quota
        responses = {**responses, **_errors("429")}
    op = {"operationId": operation_id, "summary": summary, "tags": list(tags),
          "parameters": list(params), "responses": responses}
    if description:
        op["description"] = description
    return {"get": op}


def _export(fmt: str) -> dict[str, Any]:
    media_type = EXPORT_FORMATS[fmt][0]
    notes = {"parquet": "GeoParquet for datasets with a geometry.",
             "geojson": "Only for datasets with a geometry (404 otherwise)."}
    return _get(
        f"export_{fmt}", f"The rows you may read as {fmt.upper()}",
        {**_ok(f"A {fmt.upper()} file (attachment).", media_type,
               {"type": "object"} if fmt == "geojson"
               else {"type": "string", "contentMediaType": media_type}),
         **_errors("400", "401", "403", "404", "503")},
        _params("DatasetId", "Select", "Where", "OrderBy", "ExportLimit", "Offset"),
        description=" ".join(filter(None, [
            "Every row and column the caller may read, streamed (no paging), with "
            "optional projection, filters, sort and limit.", notes.get(fmt)])))


def _paths() -> dict[str, Any]:
    item = f"/{DATASETS}/{{dataset_id}}"
    paths = {
        f"/{DATASETS}": _get("list_datasets", "The datasets you may read",
                             {**_ok("Datasets, sorted by id.", "application/json",
                                    _ref("DatasetList")), **_errors("401", "403", "503")}),
        item: _get("get_dataset", "One dataset's metadata, as you may see it",
                   {**_ok("Metadata, visible columns, freshness and quality counts.",
                          "application/json", _ref("DatasetMetadata")),
                    **_errors("401", "403", "404", "503")}, _params("DatasetId")),
        f"{item}/records": _get(
            "get_records", "Rows you may read, filtered, sorted and paged",
            {**_ok("One page of rows.", "application/json", _ref("Records")),
             **_errors("400", "401", "403", "404", "503")},
            _params("DatasetId", "Select", "Where", "OrderBy", "Limit", "Offset")),
        f"{item}/aggregate": _get(
            "get_aggregate", "Groups and measures over the rows you may read",
            {**_ok("One row per group.", "application/json", _ref("Aggregate")),
             **_errors("400", "401", "403", "404", "503")},
            _params("DatasetId", "By", "Bucket", "Measure", "Where", "AggregateOrderBy",
                    "AggregateLimit"),
            description="Computed over the rows and columns your rights allow (row rules "
            "and column rules apply first). When the dataset sets `min_group_size` and a "
            "row or column rule applies to you, groups of fewer rows are withheld "
            "(`suppressed: true`, measures null), with complementary suppression so that "
            "no margin of the answer withholds exactly one group."),
        **{f"{item}/export.{fmt}": _export(fmt) for fmt in EXPORT_FORMATS},
        f"/{CATALOG_JSON}": _get(
            "get_intake_catalog_json", "Your Intake v2 catalog, as JSON",
            {**_ok("Intake v2 catalog (JSON). Holds no token. Entries hold browsing "
                   "metadata; the columns are in each dataset's metadata (`page`).",
                   "application/json", {"type": "object"}),
             **_errors("400", "401", "403", "503")},
            _params("CatalogReader"), tags=("catalogs",)),
        f"/{CATALOG_YAML}": _get(
            "get_intake_catalog", "Your Intake v2 catalog",
            {**_ok("Intake v2 catalog (YAML), the same as api/catalog.json. Holds no token.",
                   "application/yaml", {"type": "object"}),
             **_errors("400", "401", "403", "503")},
            _params("CatalogReader"), tags=("catalogs",)),
        f"/{DCAT_JSONLD}": _get(
            "get_dcat_catalog", "DCAT-AP catalog of the datasets you may read",
            {**_ok("DCAT-AP 3 JSON-LD; passes the SHACL shapes of DCAT-AP 3.0.1 and "
                   "data.gouv.fr's harvester (published/shapes/).", "application/ld+json",
                   {"type": "object"}), **_errors("401", "403", "503")}, tags=("catalogs",)),
        f"/{HARVEST_CSV}": _get(
            "get_harvest_csv", "The datasets you may read, one CSV row each",
            {**_ok("CSV (UTF-8, header row): id, title, description, theme, keywords "
                   "(joined by '; '), licence, publisher, updated, frequency, rows, geo "
                   "(true/false), landing_page, download_<format> (empty when the dataset "
                   "has no such export).", "text/csv",
                   {"type": "string", "contentMediaType": "text/csv"}),
             **_errors("401", "403", "503")}, tags=("catalogs",)),
        f"/{HARVEST_JSON}": _get(
            "get_harvest_json", "The datasets you may read, as a JSON list",
            {**_ok("The same list as api/harvest.csv.", "application/json",
                   _ref("HarvestList")), **_errors("401", "403", "503")}, tags=("catalogs",)),
        f"/{OPENAPI_JSON}": _get(
            "get_openapi", "This document",
            {**_ok("OpenAPI 3.1.", "application/json", {"type": "object"}),
             **_errors("401", "403")}, tags=("meta",)),
        f"/{AUDIT}": _get(
            "get_audit", "The read audit log (hub admins only)",
            {**_ok("Audit records, newest first.", "application/json", _ref("AuditLog")),
             **_errors("400", "401", "403")},
            [_query("dataset", {"type": "string"}, "Only this dataset."),
             _query("user", {"type": "string"}, "Only this user."),
             _query("since", {"type": "string"},
                    "From this date or time (ISO 8601; UTC when it has no offset)."),
             _query("limit", {"type": "integer", "minimum": 0, "maximum": MAX_LIMIT,
                              "default": 100}, f"At most this many records (<= {MAX_LIMIT}).")],
            tags=("admin",)),
        "/": _get("get_index", "Who you are and where to start",
                  {**_ok("The service, the caller, the datasets URL.", "application/json",
                         _ref("Index")), **_errors("401", "403")}, tags=("meta",)),
    }
    return paths


def openapi_document(base_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for the service whose base URL is `base_url`."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Agora datasets service",
            "version": API_VERSION,
            "description": "Read the datasets you are allowed to see: metadata, filtered "
                           "rows, exports and catalogs. Every answer applies the caller's "
                           "rights (rows and columns); every read is audited.",
        },
        "servers": [{"url": base(base_url).rstrip("/") or "/"}],
        "security": [{"hubToken": []}],
        "tags": [{"name": "datasets"}, {"name": "catalogs"}, {"name": "admin"},
                 {"name": "meta"}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"hubToken": {
                "type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Authorization: token <JupyterHub API token>` (in a "
                               "workspace: $JUPYTERHUB_API_TOKEN). Browsers use the hub's "
                               "OAuth login instead."}},
            "schemas": SCHEMAS,
            "parameters": PARAMETERS,
        },
    }
