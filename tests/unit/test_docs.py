"""Docs enforced by tests: the settings reference is fresh, every settings key and every
`agora` command is documented, and workspace.example.yaml stays valid.

These read the model and the command table, so new sections, keys and commands are covered
without editing this file.
"""

import re
from pathlib import Path

from hub.cli.main import COMMANDS
from hub.config.loading import load_settings
from hub.config.reference import documented_keys, render, sections

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
REFERENCE = DOCS / "settings-reference.md"
ADMIN_GUIDE = DOCS / "admin-guide.md"
EXAMPLE = ROOT / "workspace.example.yaml"


def all_docs_text() -> str:
    return "\n".join(path.read_text() for path in sorted(DOCS.rglob("*.md")))


def test_settings_reference_is_up_to_date():
    assert REFERENCE.read_text() == render(), (
        "docs/settings-reference.md is out of date: "
        "run python -m hub.config.reference > docs/settings-reference.md")


def test_every_settings_key_is_documented():
    text = all_docs_text()
    missing = [key for key in documented_keys() if f"`{key}`" not in text]
    assert not missing, ("settings keys not documented in docs/ (admin guide or reference): "
                         + ", ".join(missing))


def test_every_agora_command_is_in_the_admin_guide():
    text = ADMIN_GUIDE.read_text()
    missing = [name for name in COMMANDS
               if not re.search(rf"\bagora (\[[^\]]*\] )?{re.escape(name)}\b", text)]
    assert not missing, ("agora commands not described in docs/admin-guide.md: "
                         + ", ".join(missing))


def test_reference_has_a_table_per_section():
    text = REFERENCE.read_text()
    for section in sections():
        assert f"\n## {section.key}\n" in text


def test_example_settings_file_is_valid():
    settings = load_settings(EXAMPLE, environ={})
    assert settings.auth.mode == "demo"
    assert settings.hub.data_dir == ROOT / ".agora"


def test_example_settings_file_shows_every_section():
    text = EXAMPLE.read_text()
    for section in sections():
        name = section.key.split(".")[-1]
        assert re.search(rf"^[ #]*{re.escape(name)}:", text, re.M), (
            f"workspace.example.yaml has no `{section.key}` section")


def test_example_oidc_section_is_valid_once_uncommented(tmp_path):
    text = EXAMPLE.read_text()
    text = re.sub(r"^(\s*)# (oidc:|  [a-z_]+: .*)$", r"\1\2", text, flags=re.M)
    text = re.sub(r"^(\s*mode:) demo\b", r"\1 oidc", text, flags=re.M)
    text = re.sub(r"^(\s*bind_url:) .*$", r"\1 https://agora.example.org/", text, flags=re.M)
    path = tmp_path / "workspace.yaml"
    path.write_text(text)
    settings = load_settings(path, environ={"AGORA_AUTH__OIDC__CLIENT_SECRET": "s3cret"})
    assert settings.auth.mode == "oidc" and settings.auth.oidc.client_id
