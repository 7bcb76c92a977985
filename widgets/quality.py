"""The quality summary of a dataset: how many problems are left, in which columns.

One rule for the listing (``GET api/datasets``) and the notebook's QualityBadge, which
summarises ``describe(id)["quality"]``: this module imports nothing, so notebooks can use it.
"""

from __future__ import annotations

from typing import Any

NOT_ISSUES = {"checked", "mapped", "corrected"}  # volumes and fixes, not problems left


def quality_summary(quality: dict) -> dict[str, Any]:
    """Counts of the visible quality report: problems left and columns concerned."""
    columns = quality.get("columns") or {}
    issues = {name: sum(v for k, v in stats.items()
                        if isinstance(v, int) and not isinstance(v, bool) and k not in NOT_ISSUES)
              for name, stats in columns.items()}
    return {"issues": sum(issues.values()),
            "columns_with_issues": sorted(n for n, count in issues.items() if count)}
