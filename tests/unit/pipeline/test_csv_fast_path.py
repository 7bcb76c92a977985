"""The CSV fast path: the UTF-8 check, and pyarrow reading that must give exactly what
``pd.read_csv`` gives."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.pipeline import parallel
from hub.pipeline.connectors import _csv
from hub.pipeline.connectors._csv import CsvOptions, detect_encoding, read_csv_bytes
from hub.pipeline.interfaces import SourceError


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("cores", [1, 2, 3, 7])
def test_utf8_check_cuts_the_file_between_characters(monkeypatch, cores):
    monkeypatch.setattr(parallel, "workers", lambda: cores)
    monkeypatch.setattr(_csv, "MIN_UTF8_PART_BYTES", 1)
    valid = "é€ok œ😀".encode("utf-8") * 10  # 1- to 4-byte characters: cuts land inside some
    assert _csv._is_utf8(valid)
    assert not _csv._is_utf8(valid + b"\xe9")  # a truncated sequence at the very end
    assert not _csv._is_utf8(b"ok" * 100 + "é".encode("cp1252") + b"ok")
    assert not _csv._is_utf8(b"ab" + b"\x80" * 40)  # a run of continuation bytes at a cut
    assert _csv._is_utf8(b"") and _csv._is_utf8(b"a")
    assert detect_encoding("é".encode("cp1252") + b"x" * 10) == "cp1252"


def test_utf8_check_never_cuts_a_valid_character(monkeypatch):
    """Every cut position a short text can have: after each byte of 1- to 4-byte characters."""
    monkeypatch.setattr(_csv, "MIN_UTF8_PART_BYTES", 1)
    valid = "a😀é€b".encode("utf-8")
    for cores in range(1, len(valid) + 2):
        monkeypatch.setattr(parallel, "workers", lambda cores=cores: cores)
        assert _csv._is_utf8(valid), f"{cores} parts"
        assert not _csv._is_utf8(valid[:-2] + b"\xe9b"), f"{cores} parts"


def test_pyarrow_checks_utf8_only_where_nothing_did():
    assert _csv.needs_utf8_check("utf-8", utf8_checked=False)  # the recipe said so: unchecked
    assert _csv.needs_utf8_check("UTF8", utf8_checked=False)
    assert not _csv.needs_utf8_check("utf-8", utf8_checked=True)  # detect_encoding checked it
    assert not _csv.needs_utf8_check("cp1252", utf8_checked=False)  # transcoded, strictly
    assert not _csv.needs_utf8_check("utf-8-sig", utf8_checked=False)
    with pytest.raises(SourceError, match="is not utf-8 text"):  # an invalid file declared UTF-8
        read_csv_bytes(b"a;b\n\xe9t\xe9;2\n", CsvOptions(encoding="utf-8"), "test.csv")


PIECES = st.sampled_from([b"a", b";", b"\n", "é".encode(), "€".encode(), "😀".encode(),
                          b"\x80", b"\xbf", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                          b"\xe2\x82", b"\xff", b"\xe9"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PIECES, st.binary(max_size=6)), max_size=40), st.integers(1, 5))
def test_utf8_check_agrees_with_the_codec(pieces, cores):
    """Any bytes, cut between any cores: the same verdict as Python's strict decoder
    (surrogates, overlong forms, code points past U+10FFFF and truncated characters)."""
    data = b"".join(pieces)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "workers", lambda: cores)
        patch.setattr(_csv, "MIN_UTF8_PART_BYTES", 1)
        assert _csv._is_utf8(data) == _decodes(data)


MESSY = (
    "Référence;Montant (€);Commentaire;Vide\n"
    "SUB-1;1 234,56 €;\"Versement en 2 fois; solde\";\n"
    "SUB-2;;;\n"
    "SUB-3;n/a;\"il a dit \"\"oui\"\"\";\n"
    "\n"
    "SUB-4;  12,5 ;NA;\n"
)


@pytest.mark.parametrize("text, skip_rows", [
    (MESSY, 0),
    ("export du 01/02/2025\nligne 2\n" + MESSY, 2),
    ("a;b;a;\n1;2;3;4\n5;;7;8\n", 0),  # repeated and empty header names: pandas renames them
    ("seul\nvaleur\n\n", 0),
])
@pytest.mark.parametrize("encoding", ["cp1252", "utf-8"])
def test_fast_path_reads_what_pandas_reads(text, skip_rows, encoding):
    data = text.encode(encoding)
    frame, details = read_csv_bytes(data, CsvOptions(skip_rows=skip_rows), "test.csv")
    expected = pd.read_csv(io.BytesIO(data), engine="pyarrow", encoding=encoding, sep=";",
                           skiprows=skip_rows, dtype=str, keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    arguments = dict(encoding=encoding, sep=";", skiprows=skip_rows, dtype=str,
                     keep_default_na=False, na_values=[""])  # as _csv._parse passes them
    direct = _csv._read_with_pyarrow(data, arguments)  # no fallback
    pd.testing.assert_frame_equal(direct, expected, check_exact=True)
    assert details["encoding"] == ("utf-8" if text.isascii() else encoding)


def test_fast_path_gives_one_chunk_per_column(monkeypatch):
    """Columns in one piece: a column in many chunks makes every later take and filter slower."""
    monkeypatch.setattr(_csv, "BLOCK_BYTES", 64)  # many parse blocks
    data = ("a;b\n" + "".join(f"x{i};é{i % 7}\n" for i in range(500))).encode("cp1252")
    frame, _ = read_csv_bytes(data, CsvOptions(), "test.csv")
    assert len(frame) == 500 and frame["b"].iloc[8] == "é1"
    for name in frame.columns:
        assert frame[name].array._pa_array.num_chunks == 1
        assert str(frame[name].array._pa_array.type) == "large_string"


def test_count_byte_counts_like_bytes_count(monkeypatch):
    monkeypatch.setattr(_csv, "COUNT_PIECE_BYTES", 7)
    for data in (b"", b'"', b'a"b""c', b'"' * 50 + b"x" * 13, bytes(range(256)) * 3):
        assert _csv.count_byte(data, ord('"')) == data.count(b'"')
