"""`GET api/datasets/{id}/aggregate`: groups and measures over the rows the caller may read.

The dataset is resolved first (the same 404 as records for unknown or forbidden ids), then the
parameters are parsed (aggregate_params.py), compiled over the records path's policy view
(aggregate.py), run in the query pool, and suppressed, sorted and limited
(aggregate_result.py) under the caller's ``Decision.min_group_size``. Audited as
``aggregate`` with every parameter, the groups returned and how many were suppressed.
"""

from __future__ import annotations

import duckdb

from ..read.aggregate import AggregateRequest, compile_aggregate, output_types
from ..read.aggregate_result import Answer, answer
from ..read.query import Compiled, QueryError
from ..read.records import jsonable
from ..read.registry import Resolved
from .aggregate_params import PARAMS, parse_aggregate
from .base import api
from .handlers import DataHandler

AUDITED = {"where": "filters", "by": "by", "measure": "measures", "bucket": "buckets",
           "order_by": "order_by", "limit": "limit"}


def body(resolved: Resolved, result: Answer, types: list[str], min_size: int | None,
         limit: int | None) -> dict:
    """The JSON answer (schema Aggregate in openapi.py)."""
    names = result.columns
    return {"dataset": resolved.id, "version": resolved.version, "columns": names,
            "schema": [{"name": n, "type": t} for n, t in zip(names, types)],
            "records": [dict(zip(names, map(jsonable, row))) for row in result.rows],
            "groups": result.groups, "suppressed_groups": result.suppressed_groups,
            "min_group_size": min_size, "limit": limit}


class AggregateHandler(DataHandler):
    audit_action = "aggregate"

    def grouped(self, compiled: Compiled, request: AggregateRequest,
                min_size: int | None) -> Answer:
        """Run in the query pool; a value DuckDB cannot fit (a sum too large) is a 400 whose
        message holds none of DuckDB's text (it quotes the value: a withheld group's sum)."""
        try:
            rows = self.engine.rows(compiled)
        except (duckdb.ConversionException, duckdb.OutOfRangeException,
                duckdb.InvalidInputException):
            raise QueryError("a value does not fit its type: a filter value too large for its "
                             "column, or a sum beyond 64-bit integers (use mean, or filter "
                             "with where=)") from None
        return answer(rows, request, min_size)

    @api
    async def get(self, dataset_id: str):
        resolved = self.resolve(dataset_id)
        args = {name: self.get_query_arguments(name) for name in PARAMS}
        self.audit_fields.update({AUDITED[k]: v for k, v in args.items()})
        types = {c.name: c.type for c in resolved.visible().columns}
        request = parse_aggregate(args, types)
        compiled = compile_aggregate(str(resolved.snapshot.path), resolved.snapshot.column_names,
                                     resolved.decision, request, types)
        min_size = resolved.decision.min_group_size
        result = await self.run(self.grouped, compiled, request, min_size)
        self.audit_fields.update(rows=len(result.rows),
                                 suppressed_groups=result.suppressed_groups)
        self.write_json(body(resolved, result, output_types(request, types), min_size,
                             request.limit))
