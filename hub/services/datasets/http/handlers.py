"""JSON endpoints: dataset list, metadata, records, audit (exports live in export_handler.py).

Every data endpoint resolves the dataset for the caller first (base.resolve): unknown, denied,
unserved and malformed ids all get the same 404; only then are parameters validated.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from widgets.quality import quality_summary  # one summary for the API and the badges

from ..read.query import MAX_LIMIT, QueryError, RecordsRequest, compile_records
from ..read.records import to_records
from ..read.registry import Resolved
from .base import ApiError, DatasetsHandler, api, not_found
from .params import parse_int, parse_request

QUERY_PARAMS = ("select", "order_by", "limit", "offset", "where")
STATUS_KEYS = ("last_attempt", "last_result", "last_success", "last_error",
               "consecutive_failures", "running")


class DataHandler(DatasetsHandler):
    """Shared by the endpoints that read snapshots."""

    def query_args(self) -> dict[str, list[str]]:
        return {name: self.get_query_arguments(name) for name in QUERY_PARAMS}

    def compile(self, resolved: Resolved, request: RecordsRequest, max_limit=None):
        schema = resolved.snapshot.column_names
        return compile_records(str(resolved.snapshot.path), schema, resolved.decision, request,
                               max_limit)

    async def caller_rows(self, resolved: Resolved) -> int | None:
        """Rows this caller may read: the manifest count, or a (cached) count under row rules."""
        if not resolved.decision.row_filters:
            return resolved.snapshot.manifest.get("row_count")
        key = (resolved.id, resolved.version, resolved.decision.row_filters)
        cached = self.engine.cached_count(key)
        if cached is not None:  # a listing of 1,000 datasets: no 1,000 thread-pool round trips
            return cached
        compiled = self.compile(resolved, RecordsRequest(limit=None))
        return await self.run(self.engine.count, compiled, key)


class ListHandler(DataHandler):
    audit_action = "list"

    @api
    async def get(self):
        readable = self.registry.readable(self.caller)
        rows = await asyncio.gather(*(self.caller_rows(r) for r in readable))
        items = []
        for resolved, count in zip(readable, rows):
            visible = resolved.visible(count)
            items.append({**visible.summary(), "version": visible.version,
                          "quality": quality_summary(dict(visible.quality))})
        self.audit_fields["rows"] = len(items)
        self.write_json({"datasets": items, "count": len(items)})


def versions(resolved: Resolved, store) -> list[dict[str, Any]]:
    found = []
    for version in reversed(store.versions(resolved.id)):
        try:
            manifest = store.read_manifest(resolved.id, version) or {}
        except (OSError, ValueError):
            continue  # pruned while we looked
        found.append({"version": version, "created_at": manifest.get("created_at"),
                      "current": version == resolved.version})
    return found


def lineage(manifest: dict) -> dict[str, Any]:
    return {"connector": (manifest.get("source") or {}).get("connector"),
            "processors": [p.get("name") for p in manifest.get("processors") or ()],
            "inputs": manifest.get("inputs") or {}}


def refresh_status(store, dataset_id: str, admin: bool = False) -> dict[str, Any]:
    """Refresh state; the error text (paths, hosts, data values) only for hub admins."""
    status = store.status(dataset_id).read()
    return {key: status[key] for key in STATUS_KEYS
            if key in status and (admin or key != "last_error")}


class MetadataHandler(DataHandler):
    audit_action = "metadata"

    @api
    async def get(self, dataset_id: str):
        resolved = self.resolve(dataset_id)
        store = self.registry.store
        visible = resolved.visible(await self.caller_rows(resolved))
        body = visible.to_dict()
        body.update({
            "schema": body["columns"],
            "freshness": {"version": visible.version, "created_at": visible.updated,
                          "rows": visible.row_count},
            "versions": await self.run(versions, resolved, store),
            "lineage": lineage(resolved.snapshot.manifest),
            "refresh": await self.run(refresh_status, store, resolved.id,
                                      bool(self.user_model.get("admin"))),
        })
        self.write_json(body)


class RecordsHandler(DataHandler):
    audit_action = "records"

    def next_url(self, request: RecordsRequest) -> str:
        args = [(k, v) for k in QUERY_PARAMS if k != "offset" for v in self.get_query_arguments(k)]
        args.append(("offset", str(request.offset + request.limit)))
        return f"{self.request.protocol}://{self.request.host}{self.request.path}?{urlencode(args)}"

    @api
    async def get(self, dataset_id: str):
        resolved = self.resolve(dataset_id)
        args = self.query_args()
        self.audit_fields.update(filters=args["where"], select=args["select"],
                                 order_by=args["order_by"], limit=args["limit"],
                                 offset=args["offset"])
        visible = resolved.visible()
        request = parse_request(args, {c.name: c.type for c in visible.columns})
        compiled = self.compile(resolved, replace(request, limit=request.limit + 1))
        table = await self.run(self.engine.arrow, compiled)
        more = table.num_rows > request.limit
        geometry = {c.name for c in visible.columns if c.type == "geometry"}
        records = to_records(table.slice(0, request.limit), geometry,
                             str(resolved.snapshot.path))
        self.audit_fields["rows"] = len(records)
        schema = [{"name": f.name, "type": "geometry" if f.name in geometry else str(f.type)}
                  for f in table.schema]
        self.write_json({"dataset": resolved.id, "version": resolved.version,
                         "columns": compiled.columns, "schema": schema, "records": records,
                         "limit": request.limit, "offset": request.offset,
                         "next": self.next_url(request) if more else None})


def parse_since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise QueryError(f"since must be an ISO 8601 date or time, not {text[:40]!r}") from None


class AuditHandler(DatasetsHandler):
    """The audit log, for hub admins only (the hub's admin flag; no data right implied)."""

    audit_action = "audit"

    @api
    async def get(self):
        if not self.user_model.get("admin"):
            self.write_json({"error": "the audit log is for administrators"}, 403)
            return
        limit = parse_int("limit", self.get_query_argument("limit", None), 100)
        if limit > MAX_LIMIT:
            raise QueryError(f"limit must be <= {MAX_LIMIT}")
        since = parse_since(self.get_query_argument("since", None))
        found = await self.run(self.settings["audit_log"].query,
                               self.get_query_argument("user", None),
                               self.get_query_argument("dataset", None), since, limit)
        self.audit_fields["rows"] = len(found)
        self.write_json(found)


class UnknownDatasetPath(DatasetsHandler):
    """Anything else under api/datasets/: the same 404 as an unknown dataset."""

    audit_action = "metadata"

    @api
    async def get(self, rest: str):
        first = rest.split("/", 1)[0]
        self.audit_fields["dataset"] = first
        raise not_found(first)


class NotFoundHandler(DatasetsHandler):
    """Any other path: JSON 404 (tornado's default page is HTML)."""

    async def get(self, *args):
        raise ApiError(404, {"error": "not found"})


class IndexHandler(DatasetsHandler):
    async def get(self):
        self.write_json({"service": "agora datasets", "user": self.caller.name,
                         "datasets": f"{self.service_url}api/datasets",
                         "docs": "docs/datasets-api.md"})
