"""Small hardening rules of the datasets service (found in review)."""

from hub.services.datasets.http.handlers import refresh_status
from hub.services.datasets.read.exports import _cell


def test_xlsx_cells_never_become_formulas():
    assert _cell('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert _cell("Rivemont") == "Rivemont"


class _Status:
    def read(self):
        return {"last_result": "failed", "last_error": "psycopg: host db.internal user x"}


class _Store:
    def status(self, _dataset):
        return _Status()


def test_refresh_error_text_only_for_admins():
    assert "last_error" not in refresh_status(_Store(), "d")
    assert refresh_status(_Store(), "d", admin=True)["last_error"].startswith("psycopg")
