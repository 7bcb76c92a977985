"""widgets/share/voila/templates/agora: Voilà's lab template without its CDN links.

The template drops every line of the lab template's CSS block that links to another host
(a rule, not a list of URLs, so a new CDN link in a later Voilà is dropped too); the browser
test (tests/browser/test_voila_widgets.py) proves no request leaves loopback.
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


REMOTE_LINK = re.compile(r"<link [^>]*href=\"https?://")
DROPS_REMOTE_LINKS = "if not ('<link' in line and '://' in line)"


def test_voila_finds_the_template_on_top_of_lab():
    paths = template_paths()
    assert paths[0] == str(SHARE / "voila" / "templates" / "agora")
    assert any(p.endswith("voila/templates/lab") for p in paths)


def test_the_lab_templates_remote_links_are_in_the_block_the_template_filters():
    lab = next(Path(p) / "index.html.j2" for p in template_paths()
               if p.endswith("voila/templates/lab") and (Path(p) / "index.html.j2").exists())
    text = lab.read_text()
    block = text[text.index("{%- block notebook_css -%}"):text.index("{%- endblock notebook_css")]
    remote = [line for line in text.splitlines() if REMOTE_LINK.search(line)]
    assert remote, "Voilà's lab template links nothing remote any more: simplify the template"
    assert all(line in block for line in remote)  # all of them where ours filters
    assert DROPS_REMOTE_LINKS in TEMPLATE.read_text()


def test_focused_controls_get_a_visible_ring():
    """The widgets' CSS removes the outline of a focused control; the template puts one back."""
    text = TEMPLATE.read_text()
    assert re.search(r":focus-visible \{\s*outline: 3px solid", text)
