"""docs/architecture.md places every top-level module and package of hub/ (one line each)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def rooms_on_the_page() -> set[str]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `hub/([\w.]+?)/?`", section, re.M))


def rooms_in_the_tree() -> set[str]:
    return {p.name for p in (ROOT / "hub").iterdir()
            if not p.name.startswith(("_", ".")) and (p.is_dir() or p.suffix == ".py")}


def test_every_top_level_module_and_package_of_hub_is_placed():
    missing = rooms_in_the_tree() - rooms_on_the_page()
    assert not missing, f"add a line for each to docs/architecture.md's Layout: {sorted(missing)}"


def test_the_page_names_no_room_that_does_not_exist():
    assert rooms_on_the_page() <= rooms_in_the_tree()
