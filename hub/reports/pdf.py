"""Step 3 of a report: HTML to PDF with WeasyPrint, offline, written atomically.

WeasyPrint fetches what a page links to (stylesheets, images, fonts). Reports must not touch
the network (an air-gapped intranet, and a page must not leak who reads what), so the
fetcher answers ``data:`` URLs only (the charts and maps are inline) and refuses every other
URL, which WeasyPrint then leaves out. The PDF appears at its path only when complete: it is
written next to it under a temporary name, then renamed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from weasyprint import HTML, URLFetcher

from hub.pipeline.store_files import atomic_write_bytes

log = logging.getLogger("agora.reports")
ALLOWED_SCHEMES = ("data:",)


class OfflineFetcher(URLFetcher):
    """A WeasyPrint URL fetcher for ``data:`` URLs only; `refused` lists the others asked."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"})
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if not url.lower().startswith(ALLOWED_SCHEMES):
            self.refused.append(url)
            log.warning("report: left out %s (reports load nothing from outside)", url[:200])
            raise ValueError(f"reports are offline: {url[:80]} is not loaded")
        return super().fetch(url, headers)


def write_atomically(data: bytes, target: Path) -> None:
    """`data` at `target`, all or nothing, readable by this account alone (the store's
    atomic_write_bytes, in a folder made when missing)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, data)


def html_to_pdf(html: str, target: Path, fetcher: OfflineFetcher | None = None) -> int:
    """Write `html` as a PDF at `target`; return its number of pages."""
    document = HTML(string=html, base_url=None, url_fetcher=fetcher or OfflineFetcher()).render()
    write_atomically(document.write_pdf(), target)
    return len(document.pages)
