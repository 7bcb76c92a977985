"""Where report PDFs are kept: ``<reports_dir>/archive`` (executor.Archive, the default), or
an S3-compatible object store every scheduler replica reads (``reports.archive_url``).

:class:`ObjectArchive` keeps the local staging folder and uploads a run's PDF only once the
run succeeded, as ``<archive_url>/<schedule>/<period>/<recipient>.pdf``: one object that
appears whole when its upload completes, so readers never see a part of it. A run records
that ``s3://`` location; a path recorded under the local archive before the switch is read
from the same key in the bucket (the operator copies the folder there, docs/reports.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..pipeline.store_fs import S3Files, s3_files_for
from .executor import Archive
from .store import Run


class ObjectArchive(Archive):
    """The PDFs as objects under `files`' root; staging in ``<root>/staging``."""

    def __init__(self, root: Path, files: S3Files):
        super().__init__(root)
        self.files = files

    def publish(self, staged: Path, run: Run) -> str:
        """Upload a finished PDF; its location (``s3://...``)."""
        key = self.path_for(run).relative_to(self.archive).as_posix()
        self.files.upload(staged, key)
        staged.unlink(missing_ok=True)
        return self.files.location(key)

    def read(self, pdf: str | Path) -> bytes:
        return self.files.read_bytes(self._key(pdf))

    def pdfs(self) -> list[str]:
        return [self.files.location(key) for key in self.files.files("") if key.endswith(".pdf")]

    def remove(self, pdf: str | Path | None) -> None:
        """Delete an archived PDF (nothing outside the archive, whatever the store says)."""
        try:
            self.files.delete(self._key(pdf))
        except FileNotFoundError:
            pass

    def _key(self, pdf: str | Path | None) -> str:
        """The object key of a recorded PDF: an ``s3://`` location under the archive, or a
        path under the local archive recorded before the switch."""
        text = str(pdf or "")
        key = self.files.key_of(text)
        if key is None and self.archive in Path(text).parents:
            key = Path(text).relative_to(self.archive).as_posix()
        if key is None:
            raise FileNotFoundError(f"{text}: not in the archive {self.files.root}")
        return key


def open_archive(settings, environ: Mapping[str, str]) -> Archive:
    """The archive the settings name: reports.archive_url if set, else the local folder."""
    url = settings.reports.archive_url
    if not url:
        return Archive(settings.reports_dir)
    return ObjectArchive(settings.reports_dir,
                         s3_files_for(url, settings.reports_dir, settings.data, environ))
