"""hub.login.claims: claims -> attribute values, and the hub-side attribute store."""

import json
import logging
import os
import stat

import pytest

from hub.login import claims as ia
from hub.login.claims import (
    AttributeStore,
    AttributeStoreError,
    attributes_from_claims,
    file_name,
    normalise_claim,
)

MAPPING = {"territories": "insee_codes"}


# --- normalisation -------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("99101", ["99101"]),                       # one string is one value, not its letters
    (["99102", "99101", "99102"], ["99101", "99102"]),
    ([99101, "99102"], ["99101", "99102"]),     # numbers become their decimal text
    (99101, ["99101"]),
    ([1.0, 2.5], ["1", "2.5"]),
    ([" 99101 ", "", "  "], ["99101"]),         # blanks dropped, spaces trimmed
    ([], []),
    (("a", "b"), ["a", "b"]),
])
def test_accepted_claim_values_are_sorted_distinct_strings(value, expected):
    assert normalise_claim(value) == (expected, "")


@pytest.mark.parametrize("value,reason", [
    ({"99101": True}, "dict"),
    ([["99101"]], "list"),
    (["99101", None], "NoneType"),
    (True, "bool"),
    ([1, False], "bool"),
    ([float("nan")], "float"),
    (["x" * (ia.MAX_VALUE_LENGTH + 1)], "longer than"),
    (["1"] * (ia.MAX_VALUES + 1), "more than"),
    ([10 ** 5000], "too large"),
])
def test_refused_claim_values(value, reason):
    values, problem = normalise_claim(value)
    assert values is None and reason in problem


def test_only_the_mapped_claims_become_attributes():
    claims = {"insee_codes": ["99101"], "territories": ["99999"], "groups": ["x"]}
    # the claim named like the attribute is NOT read: only the configured claim is
    assert attributes_from_claims(claims, MAPPING) == {"territories": ["99101"]}
    assert attributes_from_claims(claims, {}) == {}
    assert attributes_from_claims({"sub": "s"}, MAPPING) == {}  # missing claim: no attribute
    assert attributes_from_claims({"insee_codes": None}, MAPPING) == {}
    both = {"territories": "insee_codes", "services": "https://idp.example.org/claims/services"}
    claims = {"insee_codes": "99101", "https://idp.example.org/claims/services": ["ccas"]}
    assert attributes_from_claims(claims, both) == {"territories": ["99101"],
                                                    "services": ["ccas"]}


def test_invalid_claim_is_refused_with_a_warning_that_never_shows_the_value(caplog):
    claims = {"insee_codes": {"secret-value-4242": "x"}, "other": ["ok"]}
    with caplog.at_level(logging.WARNING, logger="agora.identity_attributes"):
        attributes = attributes_from_claims(claims, {**MAPPING, "o": "other"}, "amartin")
    assert attributes == {"o": ["ok"]}
    [record] = caplog.records
    message = record.getMessage()
    assert "insee_codes" in message and "amartin" in message and "dict" in message
    assert "secret-value-4242" not in message


# --- file names ----------------------------------------------------------------------------

@pytest.mark.parametrize("user", ["../../etc/passwd", "/abs", "..", ".", "a/../../b", "",
                                  "x\x00y", "c:\\win", "é/ü", "-rf", "a" * 1000])
def test_no_user_name_leaves_the_folder(tmp_path, user):
    store = AttributeStore(tmp_path / "store")
    path = store.path_for(user)
    assert path.parent == store.folder
    assert "/" not in path.name and "\x00" not in path.name and not path.name.startswith((".", "-"))
    assert len(path.name) <= 120
    store.write(user, {"territories": ["1"]}, MAPPING)
    assert [p.name for p in store.folder.iterdir()] == [path.name]
    assert store.read(user, MAPPING) == {"territories": ["1"]}


def test_distinct_user_names_get_distinct_files():
    names = ["amartin", "Amartin", "a.martin", "a_martin", "a-martin", "a martin", "a/martin"]
    assert len({file_name(n) for n in names}) == len(names)
    assert file_name("amartin").startswith("amartin-")  # readable for administrators


# --- writing -------------------------------------------------------------------------------

def test_write_is_private_and_replaces_everything(tmp_path):
    store = AttributeStore.in_data_dir(tmp_path)
    assert store.folder == tmp_path / "identity-attributes"
    store.write("amartin", {"territories": ["99101"], "services": ["ccas"]},
                {**MAPPING, "services": "svc"})
    assert stat.S_IMODE(store.folder.stat().st_mode) == 0o700
    path = store.path_for("amartin")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    record = json.loads(path.read_text())
    assert record["user"] == "amartin" and record["version"] == 1
    assert record["attributes"] == {"services": ["ccas"], "territories": ["99101"]}
    assert record["claims"] == {"services": "svc", "territories": "insee_codes"}

    store.write("amartin", {"territories": ["99102"]}, {**MAPPING, "services": "svc"})
    assert AttributeStore(store.folder).load("amartin") == (
        {"territories": ["99102"]}, {"territories": "insee_codes"})  # services is gone
    assert [p.name for p in store.folder.iterdir()] == [path.name]  # no temporary left


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(tmp_path, monkeypatch):
    store = AttributeStore(tmp_path)
    store.write("amartin", {"territories": ["99101"]}, MAPPING)

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ia.os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.write("amartin", {"territories": ["99102"]}, MAPPING)
    monkeypatch.undo()
    assert AttributeStore(tmp_path).read("amartin", MAPPING) == {"territories": ["99101"]}
    assert [p.name for p in tmp_path.iterdir()] == [file_name("amartin")]


def test_delete_is_idempotent(tmp_path):
    store = AttributeStore(tmp_path)
    store.write("amartin", {"territories": ["99101"]}, MAPPING)
    store.delete("amartin")
    store.delete("amartin")
    assert store.read("amartin", MAPPING) == {}


# --- reading -------------------------------------------------------------------------------

def test_reading_sees_a_rewrite_at_once(tmp_path):
    writer, reader = AttributeStore(tmp_path), AttributeStore(tmp_path)
    writer.write("amartin", {"territories": ["99101"]}, MAPPING)
    assert reader.read("amartin", MAPPING) == {"territories": ["99101"]}
    writer.write("amartin", {"territories": ["99102"]}, MAPPING)  # same size, new inode
    assert reader.read("amartin", MAPPING) == {"territories": ["99102"]}
    writer.delete("amartin")
    assert reader.read("amartin", MAPPING) == {}


def test_only_attributes_still_mapped_from_the_same_claim_are_used(tmp_path):
    store = AttributeStore(tmp_path)
    store.write("amartin", {"territories": ["99101"], "services": ["ccas"]},
                {**MAPPING, "services": "svc"})
    assert store.read("amartin", MAPPING) == {"territories": ["99101"]}  # services unmapped
    assert store.read("amartin", {"territories": "codes_commune"}) == {}  # other claim now
    assert store.read("amartin", {}) == {}


@pytest.mark.parametrize("content", [
    "{not json",
    "",
    "[]",
    json.dumps({"version": 2, "user": "amartin", "attributes": {}, "claims": {}}),
    json.dumps({"version": 1, "user": "someone-else",
                "attributes": {"territories": ["99101"]}, "claims": MAPPING}),
    json.dumps({"version": 1, "user": "amartin",
                "attributes": {"territories": "99101"}, "claims": MAPPING}),
    json.dumps({"version": 1, "user": "amartin",
                "attributes": {"territories": [99101]}, "claims": MAPPING}),
    json.dumps({"version": 1, "user": "amartin", "attributes": {"territories": ["99101"]}}),
])
def test_a_corrupt_file_gives_no_attributes_and_names_the_file_once(tmp_path, caplog, content):
    store = AttributeStore(tmp_path)
    store.write("amartin", {"territories": ["99101"]}, MAPPING)
    store.path_for("amartin").write_text(content)
    with caplog.at_level(logging.ERROR, logger="agora.identity_attributes"):
        assert store.read("amartin", MAPPING) == {}
        assert store.read("amartin", MAPPING) == {}
    [record] = caplog.records
    assert str(store.path_for("amartin")) in record.getMessage()
    with pytest.raises(AttributeStoreError):
        store.load("amartin")


def test_an_unreadable_file_fails_closed(tmp_path):
    store = AttributeStore(tmp_path)
    store.write("amartin", {"territories": ["99101"]}, MAPPING)
    store.path_for("amartin").write_bytes(b"\xff\xfe not utf-8")
    assert store.read("amartin", MAPPING) == {}
    if os.geteuid() != 0:  # root reads mode-000 files anyway
        store.write("amartin", {"territories": ["99101"]}, MAPPING)
        store.path_for("amartin").chmod(0)
        assert AttributeStore(tmp_path).read("amartin", MAPPING) == {}
