"""CSV bytes -> DataFrame, guessing what French public exports leave unsaid.

Encoding (``auto``): a BOM wins (utf-8-sig, utf-16); else strict UTF-8; else cp1252 (what Excel
and most French back-office tools write; a superset of latin-1 for the printable range); else
latin-1, which decodes any byte. A deterministic chain rather than a statistical guess: the
statistical guessers misread short French files as cp1250 or mac_roman.

Delimiter (``auto``): csv.Sniffer on a sample restricted to ``, ; TAB |``; if it fails or picks
a character absent from the header line, the candidate most frequent in the header line.

Columns are read as strings by default (``dtype: string``) so processors do the parsing and
report what they could not parse; ``dtype: infer`` lets pandas type them (``decimal`` applies).

A file cut while it was copied is refused, never published short: cut inside a quoted field
(an odd number of quotes; the C parser reports it), or cut inside a line, which then lacks its
final newline and has another number of fields than the header, or follows lines ending with
CRLF (:func:`check_last_line` reads only the file's tail).
"""

from __future__ import annotations

import codecs
import csv
import io
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from pydantic import Field

from ..interfaces import Params, SourceError
from ..parallel import map_parallel, part_count

DELIMITERS = ",;\t|"
SAMPLE_BYTES = 64 * 1024
MAX_CONTINUATION_BYTES = 3  # a UTF-8 character is a lead byte and at most 3 of these
MIN_UTF8_PART_BYTES = 1 << 20  # the UTF-8 check of a smaller file is one part, in one thread
CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")  # the bytes cp1252 cannot decode
COUNT_PIECE_BYTES = 1 << 20
BLOCK_BYTES = 4 << 20  # pyarrow parses blocks of this size in parallel
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default `str` dtype
TAIL_BYTES = 64 * 1024  # the last line is looked for there; a longer line is not checked
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class CsvOptions(Params):
    encoding: str = "auto"
    delimiter: str = Field("auto", description="one character, or auto")
    decimal: str = Field("auto", description="`,` or `.`; auto: `,` when the delimiter is `;`")
    skip_rows: int = Field(0, ge=0, description="lines to skip before the header line")
    dtype: Literal["string", "infer"] = "string"
    trust_last_line: bool = Field(False, description="accept a last line without its line "
                                  "ending in a file of CRLF lines (the file is known whole)")


def read_csv_bytes(data: bytes, options: CsvOptions, source: str) -> tuple[pd.DataFrame, dict]:
    encoding = options.encoding if options.encoding != "auto" else detect_encoding(data)
    text_sample = _decode_sample(data, encoding, source)
    delimiter = options.delimiter
    if delimiter == "auto":
        delimiter = detect_delimiter(_skip_lines(text_sample, options.skip_rows))
    decimal = options.decimal if options.decimal != "auto" else ("," if delimiter == ";" else ".")
    check_last_line(data, encoding, delimiter, _skip_lines(text_sample, options.skip_rows), source,
                    options.trust_last_line)
    utf8_checked = options.encoding == "auto" and encoding == "utf-8"  # by detect_encoding
    frame = _parse(data, options, encoding, delimiter, decimal, source, utf8_checked)
    return frame, {"encoding": encoding, "delimiter": delimiter, "decimal": decimal}


def detect_encoding(data: bytes) -> str:
    for bom, name in BOMS:
        if data.startswith(bom):
            return name
    if _is_utf8(data):
        return "utf-8"
    # same answer as data.decode("cp1252") succeeding, without building a str of the whole file
    return "latin-1" if any(byte in data for byte in CP1252_UNDEFINED) else "cp1252"


def _is_utf8(data: bytes) -> bool:
    """Strict UTF-8 check, the same verdict as ``data.decode("utf-8")`` without building a str
    of the file: Arrow's validator on one part of the file per core, for files of 2 MiB and
    more (0.03 s instead of the codec's 0.19 s for a 125 MB file; a failing ``decode`` would
    also copy the whole input into its exception).

    The parts are cut just before a byte that starts a character: each part of a valid file is
    then valid, and an invalid file has an invalid part.
    """
    parts = max(1, part_count(len(data), MIN_UTF8_PART_BYTES))
    bounds = [0]
    for part in range(1, parts):
        cut = _character_start(data, len(data) * part // parts)
        if cut is None:
            return False
        bounds.append(max(cut, bounds[-1]))
    bounds.append(len(data))
    view = memoryview(data)
    return all(map_parallel(lambda span: _valid_utf8(view[span[0]:span[1]]),
                            zip(bounds, bounds[1:])))


def _character_start(data: bytes, at: int) -> int | None:
    """The first position from `at` that is not inside a character (or the end); None when
    more continuation bytes follow one another there than a character holds."""
    for position in range(at, min(at + MAX_CONTINUATION_BYTES + 1, len(data))):
        if not _is_continuation(data[position]):
            return position
    return len(data) if len(data) - at <= MAX_CONTINUATION_BYTES else None


def _is_continuation(byte: int) -> bool:
    return byte & 0xC0 == 0x80


def _valid_utf8(part: memoryview) -> bool:
    offsets = pa.array([0, len(part)], pa.int64()).buffers()[1]
    as_binary = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(part)])
    try:
        as_binary.cast(pa.large_string())  # validates, copies nothing
    except pa.ArrowInvalid:
        return False
    return True


def detect_delimiter(sample: str) -> str:
    header = sample.split("\n", 1)[0]
    lines = sample[: sample.rfind("\n") + 1] or sample  # never sniff a half line
    try:
        found = csv.Sniffer().sniff(lines, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and found in header:
        return found
    counts = {char: header.count(char) for char in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def check_last_line(data: bytes, encoding: str, delimiter: str, text: str, source: str,
                    trust_unterminated: bool = False) -> None:
    """Refuse a file cut in the middle of its last line, which then lacks its line ending:
    either that line has another number of fields than the header line (the start of `text`),
    or the lines before it end with CRLF (Windows tools end every line, the last one too; a
    cut inside the last field leaves as many fields, or a lone CR). A last line without
    newline in a file of LF lines is fine when it has every field, and so is one as wide as
    the line before it (rows that all end with an extra `;`); lines with quotes are left to
    the parser. `trust_unterminated` (the source's ``trust_last_line``) skips the CRLF rule."""
    if data.endswith(b"\n") or encoding.startswith("utf-16"):
        return
    tail = data[-TAIL_BYTES:]
    cut = tail.rfind(b"\n")
    if cut < 0:
        return  # one line only (the header), or a last line longer than the tail
    last = tail[cut + 1:].decode(encoding, errors="replace").rstrip("\r")
    if last.count('"') % 2 or not last.strip():
        return  # a cut inside a quoted field: the parser reports it
    header = _fields(text.split("\n", 1)[0].rstrip("\r"), delimiter)
    found = last.count(delimiter) + 1
    before = tail[tail.rfind(b"\n", 0, cut) + 1:cut].decode(encoding, errors="replace")
    if '"' not in last and found != header and (
            '"' in before or before.count(delimiter) + 1 != found):
        raise SourceError(f"{source}: the CSV is truncated: its last line has {found} field"
                          f"{'s' if found != 1 else ''}, the header has {header}; the file was "
                          "probably cut while copying — fetch it again")
    if tail[cut - 1:cut] == b"\r" and not trust_unterminated:
        raise SourceError(f"{source}: the CSV is truncated: its last line has no line ending "
                          "while the lines before it end with CRLF; the file was probably cut "
                          "while copying — fetch it again (if it is whole, set "
                          "`trust_last_line: true` in the recipe's source)")


def _fields(line: str, delimiter: str) -> int:
    return len(next(csv.reader([line], delimiter=delimiter), []) or [""])


def _decode_sample(data: bytes, encoding: str, source: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise SourceError(f"{source}: unknown encoding {encoding!r}") from None
    return data[:SAMPLE_BYTES].decode(encoding, errors="ignore").lstrip("\ufeff")


def _skip_lines(text: str, count: int) -> str:
    return text.split("\n", count)[-1] if count else text


def _parse(data, options, encoding, delimiter, decimal, source, utf8_checked) -> pd.DataFrame:
    as_strings = options.dtype == "string"
    arguments = dict(
        encoding=encoding,
        sep=delimiter,
        skiprows=options.skip_rows,
        dtype=str if as_strings else None,
        keep_default_na=not as_strings,  # strings: only empty fields are missing ("NA" is Namibia)
        na_values=[""] if as_strings else None,
    )
    if as_strings and _fast_path_safe(data, encoding):
        try:
            return _read_with_pyarrow(data, arguments, needs_utf8_check(encoding, utf8_checked))
        except Exception:  # noqa: BLE001 - the C parser below decides and explains
            pass
    try:
        return pd.read_csv(io.BytesIO(data), decimal=decimal, encoding_errors="strict", **arguments)
    except pd.errors.EmptyDataError:
        skipped = f" after skipping {options.skip_rows} lines" if options.skip_rows else ""
        raise SourceError(f"{source}: the CSV has no header line{skipped}") from None
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start:exc.start + 1].hex()
        raise SourceError(f"{source}: the CSV is not {encoding} text (it holds the byte 0x{byte})"
                          " -> remove `encoding:` (auto detects it) or "
                          "give the file's own, e.g. `encoding: cp1252` for Excel and most French "
                          "back-office exports") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise SourceError(f"{source}: the CSV is corrupt or truncated: {_short(exc)}") from None


def _fast_path_safe(data: bytes, encoding: str) -> bool:
    """The pyarrow parser is ~10x faster but accepts a file cut inside a quoted field.

    Every well-formed quoted field holds an even number of quote characters, so an odd total
    means a cut (or a stray quote): the C parser then decides, and reports "EOF inside string".
    """
    return not encoding.startswith("utf-16") and count_byte(data, ord('"')) % 2 == 0


def count_byte(data: bytes, byte: int) -> int:
    """``data.count(bytes([byte]))``, six times faster with numpy on 1 MiB pieces (0.01 s
    instead of 0.06 s for 120 MB; one piece of scratch memory, not a mask of the whole file)."""
    view = np.frombuffer(data, dtype=np.uint8)
    scratch = np.empty(min(len(view), COUNT_PIECE_BYTES), dtype=bool)
    total = 0
    for start in range(0, len(view), COUNT_PIECE_BYTES):
        piece = view[start:start + COUNT_PIECE_BYTES]
        found = scratch[:len(piece)]
        np.equal(piece, byte, out=found)
        total += int(np.count_nonzero(found))
    return total


def needs_utf8_check(encoding: str, utf8_checked: bool) -> bool:
    """Whether pyarrow must validate the text columns as UTF-8 (0.04 s per 100 MB). Not when
    the file passed :func:`_is_utf8`, nor for another encoding: pyarrow transcodes it with
    Python's strict codec, which only writes valid UTF-8."""
    return codecs.lookup(encoding).name == "utf-8" and not utf8_checked


def arrow_read_options(encoding: str, delimiter: str, skip_rows: int = 0,
                       check_utf8: bool = True) -> dict:
    """pyarrow's options to read every column as text, for ``pyarrow.csv.read_csv`` and
    ``open_csv``: empty fields are null, nothing else is."""
    return dict(
        read_options=pacsv.ReadOptions(skip_rows=skip_rows, block_size=BLOCK_BYTES,
                                       encoding=encoding),
        parse_options=pacsv.ParseOptions(delimiter=delimiter),
        convert_options=pacsv.ConvertOptions(default_column_type=pa.large_string(),
                                             null_values=[""], strings_can_be_null=True,
                                             check_utf8=check_utf8))


def text_frame(table: pa.Table) -> pd.DataFrame:
    """A table of text columns as pandas' frame of ``str`` columns, each in one Arrow array."""
    return _one_chunk_per_column(table).to_pandas(types_mapper={pa.large_string(): TEXT}.get)


def _read_with_pyarrow(data: bytes, arguments: dict, check_utf8: bool = True) -> pd.DataFrame:
    """Every column as text, exactly like ``pd.read_csv(engine="pyarrow", dtype=str,
    na_values=[""], keep_default_na=False)``, but with each column as ONE Arrow array instead
    of one chunk per parsed block (122 for a 120 MB file with pandas' 1 MB blocks): boolean
    indexing and takes on a column in many chunks cost several times more, in every processor
    after this.

    pyarrow transcodes other encodings to UTF-8 itself, block by block, while its other
    threads parse. Header names that pandas rewrites (empty -> "Unnamed: 0", repeated ->
    "a.1") are left to ``pd.read_csv`` itself.
    """
    table = pacsv.read_csv(pa.py_buffer(data), **arrow_read_options(
        arguments["encoding"], arguments["sep"], arguments["skiprows"], check_utf8))
    names = table.column_names
    if "" in names or len(set(names)) < len(names):
        return pd.read_csv(io.BytesIO(data), engine="pyarrow", **arguments)
    return text_frame(table)


def _one_chunk_per_column(table: pa.Table) -> pa.Table:
    """``table.combine_chunks()``, the columns copied in parallel threads (the copies release
    the GIL; in a fresh process most of their time is the kernel mapping new memory)."""
    columns = map_parallel(lambda column: column.combine_chunks(), table.columns)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _short(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
