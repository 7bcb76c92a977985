"""The embedded demo's two dashboards, published at `agora up` for the officials.

notebooks/dashboards/territory-kpis.ipynb (a KPI board) and ev-and-fibre.ipynb (EV chargers
and fibre on a map), published by the demo analyst to `officials`: each official opens the
same dashboard and sees their own commune. Published once: a name already in the store
(even unpublished by an admin since) is left as it is.
"""

from __future__ import annotations

from pathlib import Path

from ..services.dashboards.publications import PublicationStore

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks" / "dashboards"
DEMO = (("territory-kpis", "Tableau de bord du territoire"),
        ("ev-and-fibre", "Bornes de recharge et fibre"))


def publish_demo_dashboards(settings) -> list[str]:
    """Publish the demo dashboards missing from the store (demo mode only); their names."""
    if settings.auth.mode != "demo" or not NOTEBOOKS.is_dir():
        return []
    store = PublicationStore.from_settings(settings)
    done = []
    for name, title in DEMO:
        if name not in store.names():
            store.publish(NOTEBOOKS / f"{name}.ipynb", ["officials"], "analyst", title, name)
            done.append(name)
    return done
