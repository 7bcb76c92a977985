"""The HTML and PDF steps of a report, in-process: no code in the page, a title page, page
numbers, nothing fetched from any URL (a local server counts), the PDF written all or nothing."""

import base64
import subprocess
from datetime import datetime, timezone

import nbformat
import pytest

from hub.pipeline import store_files
from hub.reports.html import notebook_html, title_page
from hub.reports.pdf import OfflineFetcher, html_to_pdf, write_atomically
from tests.reports_support import counting_web_server

# a 1x1 red PNG
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8Dw"
                         "HwAFBQIAX8jx0gAAAABJRU5ErkJggg==")


@pytest.fixture
def server():
    """A web server on loopback that records every request it gets."""
    with counting_web_server(200) as running:
        yield running


def test_a_pdf_loads_nothing_from_any_url(server, tmp_path):
    base, hits = server
    pixel = "data:image/png;base64," + base64.b64encode(PIXEL).decode()
    page = f"""<html><head><link rel="stylesheet" href="{base}/linked.css">
      <style>@import url("{base}/imported.css");
             body {{ background: url("{base}/background.png") }}
             @font-face {{ font-family: X; src: url("{base}/font.woff2") }}</style></head>
      <body><p>Bonjour</p><img src="{base}/chart.png"><img src="file:///etc/hostname">
      <img src="{pixel}" alt="inline"></body></html>"""
    fetcher = OfflineFetcher()
    pages = html_to_pdf(page, tmp_path / "r.pdf", fetcher)
    assert hits == []
    assert {u.rsplit("/", 1)[-1] for u in fetcher.refused} >= {
        "linked.css", "imported.css", "background.png", "font.woff2", "chart.png", "hostname"}
    assert pages == 1 and (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "r.pdf")], check=True,
                            capture_output=True, text=True).stdout.splitlines()[2:]
    assert [line.split()[2] for line in images] == ["image", "smask"]  # the inline one only


def test_the_pdf_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    target = tmp_path / "out" / "r.pdf"
    write_atomically(b"%PDF-1.7 whole", target)
    assert target.read_bytes() == b"%PDF-1.7 whole"

    def broken_rename(*args):
        raise OSError("disk full")

    monkeypatch.setattr(store_files.os, "replace", broken_rename)  # the writer pdf.py uses
    with pytest.raises(OSError):
        write_atomically(b"%PDF-1.7 new", tmp_path / "out" / "other.pdf")
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.pdf"]  # no partial file


def executed_notebook(path):
    """A notebook as papermill leaves it: inputs, outputs, a warning, the runner's cells."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["agora"] = {"title": {"fr": "Bulletin de l'air", "en": "Air bulletin"}}
    shown = nbformat.v4.new_code_cell("SECRET_SOURCE = aggregate('air_quality')")
    shown.outputs = [nbformat.v4.new_output("stream", name="stderr", text="FutureWarning: x"),
                     nbformat.v4.new_output("display_data", data={
                         "text/html": "<h2>Qualité de l'air</h2><p>Bonjour</p>",
                         "text/plain": "View"})]
    hidden = nbformat.v4.new_code_cell("x = 1")
    hidden.metadata["tags"] = ["remove-cell"]
    hidden.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>HIDDEN</p>"})]
    lineage = nbformat.v4.new_code_cell("_agora_display(...)")
    lineage.metadata["tags"] = ["agora-lineage"]
    lineage.outputs = [nbformat.v4.new_output("display_data", data={
        "application/vnd.agora.lineage+json": {"air_quality": ["v1"]}})]
    nb.cells = [nbformat.v4.new_markdown_cell("Texte **pour le lecteur**"), shown, hidden,
                lineage]
    nbformat.write(nb, path)
    return nb


def test_the_page_has_a_title_page_and_no_code(tmp_path):
    nb = executed_notebook(tmp_path / "out.ipynb")
    now = datetime(2026, 12, 1, 6, 30, tzinfo=timezone.utc)
    page = title_page(nb, locale="fr", fallback="x", period="semaine 48 de 2026, du 23 au 29 "
                      "novembre 2026", recipient="Élue de Rivemont", now=now)
    html = notebook_html(tmp_path / "out.ipynb", page)
    assert '<html lang="fr">' in html and '<h1 class="cover-title">Bulletin de l\'air' in html
    assert "Destinataire : Élue de Rivemont" in html
    assert "Produit le 1 décembre 2026 à 06:30 UTC" in html
    assert "Bonjour" in html and "<strong>pour le lecteur</strong>" in html
    for absent in ("SECRET_SOURCE", "FutureWarning", "HIDDEN", "agora-lineage", "In&nbsp;[",
                   "<script", "http://", "https://"):
        assert absent not in html, absent


def test_the_pages_are_numbered_after_the_title_page(tmp_path):
    executed_notebook(tmp_path / "out.ipynb")
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    page = title_page(nb, locale="en", fallback="x", period="week 48 of 2026")
    html = notebook_html(tmp_path / "out.ipynb", page).replace(
        "<p>Bonjour</p>", "<p>Bonjour</p>" * 300)  # long enough for three pages
    pages = html_to_pdf(html, tmp_path / "r.pdf")
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout.split("\f")
    assert pages >= 3 and text[0].count("page ") == 0  # the title page is not numbered
    assert "Air bulletin" in text[0] and "Prepared for" not in text[0]
    for number in range(2, pages + 1):
        assert f"page {number} / {pages}" in text[number - 1]
