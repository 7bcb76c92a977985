"""`GET api/datasets/{id}/export.{parquet,csv,xlsx,geojson}`: the whole (filtered) data, streamed.

Same parameters as records, without the 10,000 cap (an optional `limit`). The writer runs in
the export thread pool (exports.py) and the first chunk is awaited before any header is sent,
so a refused request (bad filter, too many rows for Excel) is still a clean 400. A failure
after the first byte closes the connection without the final chunk, so a client never
mistakes a truncated file for a complete one.
"""

from __future__ import annotations

import asyncio
import logging

import duckdb
from tornado.iostream import StreamClosedError

from hub.policy.evaluate import Decision

from ..read.exports import WRITERS, snapshot_file_chunks
from ..read.query import QueryError, RecordsRequest
from . import fair_use
from .base import ApiError, api
from .handlers import DataHandler
from .params import parse_request
from .paths import EXPORT_FORMATS
from .stream import ChunkStream

log = logging.getLogger("agora.datasets.export")


def unrestricted(decision: Decision, request: RecordsRequest) -> bool:
    """No row or column rule for this caller and no select/filter/sort/paging: the export is
    exactly the snapshot file (exports.snapshot_file_chunks)."""
    return (not decision.row_filters and not decision.column_actions
            and request == RecordsRequest(limit=None))


VERSION_HEADER = "Agora-Snapshot-Version"  # the snapshot exported (lineage of a report)


class ExportHandler(DataHandler):
    audit_action = "export"

    def check_format(self, fmt: str, is_geo: bool, dataset_id: str) -> None:
        if fmt not in EXPORT_FORMATS:
            raise ApiError(404, {"error": f"unknown export format {fmt[:20]!r}; use one of "
                                          f"{', '.join(EXPORT_FORMATS)}", "dataset": dataset_id})
        if fmt == "geojson" and not is_geo:
            raise ApiError(404, {"error": "no geometry column: geojson export is only for "
                                          "geographic datasets", "dataset": dataset_id})

    @api
    async def get(self, dataset_id: str, fmt: str):
        self.audit_action = f"export:{fmt[:20]}"
        resolved = self.resolve(dataset_id)
        args = self.query_args()
        self.audit_fields.update(filters=args["where"], select=args["select"],
                                 order_by=args["order_by"], limit=args["limit"],
                                 offset=args["offset"])
        visible = resolved.visible()
        self.check_format(fmt, visible.is_geo, resolved.id)
        if fair_use.refused_export(self):  # too many at once, or the day's bytes: 429
            return
        request = parse_request(args, {c.name: c.type for c in visible.columns},
                                default_limit=None, max_limit=None)
        compiled = self.compile(resolved, request)
        geometry = [c.name for c in visible.columns if c.type == "geometry"]
        if fmt == "geojson" and not set(geometry) & set(compiled.columns):
            raise QueryError("a geojson export needs a geometry column in `select`")
        stats: dict = {}
        if fmt == "parquet" and unrestricted(resolved.decision, request):
            chunks = snapshot_file_chunks(str(resolved.snapshot.path), stats,
                                          resolved.snapshot.manifest.get("row_count"))
        else:
            chunks = WRITERS[fmt](compiled, self.engine.key, stats,
                                  geometry_columns=set(geometry),
                                  geometry=next((g for g in geometry if g in compiled.columns),
                                                ""),
                                  snapshot_path=str(resolved.snapshot.path))
        self.set_header(VERSION_HEADER, resolved.version)
        await self.stream(chunks, fmt, f"{resolved.id}-{resolved.version}.{fmt}", stats)

    def on_finish(self) -> None:
        fair_use.release_export(self)

    def on_connection_close(self) -> None:
        fair_use.release_export(self)  # the client went away: no on_finish will come
        super().on_connection_close()

    async def first_chunk(self, stream: ChunkStream) -> bytes | None:
        try:
            return await stream.next()
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            raise QueryError(f"a filter value does not fit its column: {exc}"[:300]) from None

    async def stream(self, chunks, fmt: str, filename: str, stats: dict) -> None:
        stream = ChunkStream(asyncio.get_running_loop())
        stream.start(self.engine.export_executor, chunks)
        try:
            chunk = await self.first_chunk(stream)
            self.set_header("Content-Type", EXPORT_FORMATS[fmt][0])
            self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
            while chunk is not None:
                self.write(chunk)
                await self.flush()
                fair_use.count_sent(self, len(chunk))
                chunk = await stream.next()
        except StreamClosedError:
            log.info("export %s: client went away", filename)
            return
        except ApiError:
            raise
        except Exception:
            if not self._headers_written:
                raise
            log.exception("export %s failed after its first bytes; closing", filename)
            self.request.connection.stream.close()
            return
        finally:
            stream.cancel()
            self.audit_fields["rows"] = stats.get("rows")
        self.finish()
