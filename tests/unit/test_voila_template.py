"""widgets/share/voila/templates/agora: Voilà's lab template without its CDN links.

The template removes the lab template's Font Awesome links by their exact text: if a Voilà
release changes them, this fails here rather than as a blocked request in the browser test.
"""

from __future__ import annotations

import re
from pathlib import Path

from jupyter_core.paths import jupyter_path
from voila.paths import collect_template_paths

SHARE = Path(__file__).resolve().parents[2] / "widgets" / "share"
TEMPLATE = SHARE / "voila" / "templates" / "agora" / "index.html.j2"


def template_paths() -> list[str]:
    return collect_template_paths(["voila", "nbconvert"], "agora",
                                  root_dirs=[str(SHARE), *jupyter_path()])


def removed_links() -> list[str]:
    return re.findall(r"replace\('(<link [^']+/>)', ''\)", TEMPLATE.read_text())


def test_voila_finds_the_template_on_top_of_lab():
    paths = template_paths()
    assert paths[0] == str(SHARE / "voila" / "templates" / "agora")
    assert any(p.endswith("voila/templates/lab") for p in paths)


def test_the_links_it_removes_are_the_lab_templates_cdn_links():
    lab = next(Path(p) / "index.html.j2" for p in template_paths()
               if p.endswith("voila/templates/lab") and (Path(p) / "index.html.j2").exists())
    text = lab.read_text()
    links = removed_links()
    assert len(links) == 2 and all("cdn.jsdelivr.net" in link for link in links)
    assert all(link in text for link in links)
    remaining = [line for line in text.splitlines() if "https://" in line and "<link" in line
                 and line.strip() not in links]
    assert remaining == [], f"other CDN links in Voilà's lab template: {remaining}"


def test_focused_controls_get_a_visible_ring():
    """The widgets' CSS removes the outline of a focused control; the template puts one back."""
    text = TEMPLATE.read_text()
    assert re.search(r":focus-visible \{\s*outline: 3px solid", text)
