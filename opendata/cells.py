"""Vectorised rendering of canonical columns (``opendata.columns``) as CSV and JSON text.

Every function takes a whole Arrow column and returns a string column, computed by
``pyarrow.compute`` kernels (no Python per value). Conventions (the same in every format):

* Datetimes: ISO 8601 in Asia/Bishkek time with the offset of that instant (from the tz
  database, so old offsets such as +05:00 before 2005 are exact), e.g.
  ``2026-03-01T14:05:09+06:00``; seconds are the finest unit (truncated).
* Booleans ``true``/``false``; numbers in their shortest round-trip form, a whole
  number with ``.0`` (as Python writes a float); dates ``YYYY-MM-DD``.
* CSV (RFC 4180): a cell holding the separator, a quote or a line break is quoted, quotes
  doubled; a missing value is an empty cell. The Excel dialect (``EXCEL``) is what
  spreadsheets set to Russian or Kyrgyz regional settings open in columns: ``;`` between
  cells and a decimal comma. OWASP formula guard: a free-text cell
  (``Field.free_text``) that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return gets a leading apostrophe.
* JSON: strings escaped as orjson escapes them; a missing value is ``null``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.columns import TIMEZONE
from opendata.tableschema import Field

#: First characters that make a spreadsheet evaluate a cell (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_BYTES = pa.array([start.encode() for start in FORMULA_STARTS], pa.binary())
#: Characters a JSON string escapes.
_JSON_SPECIAL = "".join(map(chr, range(0x20))) + '"\\'
#: orjson's short escapes; other control characters become \u00XX.
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t",
                  "\b": "\\b", "\f": "\\f"}  # fmt: skip
LOCAL_TIMES = pa.timestamp("s", tz=TIMEZONE)


@dataclass(frozen=True)
class CsvDialect:
    """How cells are separated and how a decimal number is written."""

    separator: str = ","
    decimal: str = "."

    @property
    def quote_chars(self) -> str:
        """Characters that make a cell quoted."""
        return f'{self.separator}"\r\n'


#: RFC 4180 (csv.writer's QUOTE_MINIMAL).
RFC4180 = CsvDialect()
#: Excel with Russian or Kyrgyz regional settings (list separator ";", decimal comma).
EXCEL = CsvDialect(separator=";", decimal=",")


def _any(mask: pa.Array) -> bool:
    return bool(pc.any(mask).as_py())


@cache
def _byte_tests(chars: str) -> tuple[int, tuple[int, ...]]:
    """The (ASCII) ``chars`` as a bound, every byte below which is one of them, and the
    other bytes (JSON's specials: every control character, then ``"`` and ``\\``)."""
    codes = sorted(set(map(ord, chars)))
    bound = 0
    while bound in codes:
        bound += 1
    return bound, tuple(code for code in codes if code > bound)


def _holding(text: pa.Array, chars: str) -> pa.Array | None:
    """Which values of ``text`` hold one of the ASCII ``chars``; None if none does.

    The column's bytes are compared with each of ``chars`` at once (a few vectorised
    comparisons of its data buffer, an order of magnitude cheaper than a regex call per
    value), and a byte found is traced to its value by the offsets. A multi-byte UTF-8
    character has no byte below 0x80, so no ASCII character is found inside one.
    """
    if not isinstance(text, pa.Array) or not pa.types.is_string(text.type):
        holding = pc.match_substring_regex(text, _char_class(chars))
        return holding if _any(holding) else None
    bounds, data = _bounds_and_data(text)
    if data is None or len(text) == 0:
        return None
    start, end = int(bounds[0]), int(bounds[-1])
    values = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
    bound, others = _byte_tests(chars)
    found = values < bound if bound else np.zeros(len(values), dtype=bool)
    for code in others:
        found |= values == code
    hits = np.flatnonzero(found)
    if len(hits) == 0:
        return None
    holding = np.zeros(len(text), dtype=bool)
    holding[np.searchsorted(bounds, hits + start, side="right") - 1] = True
    return pa.array(holding)


def _bounds_and_data(text: pa.Array) -> tuple[np.ndarray, pa.Buffer | None]:
    """A string column's data buffer and where its values start and end in it (the
    ``len + 1`` offsets of the column's own slice)."""
    _, offsets, data = text.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32, count=len(text) + 1, offset=4 * text.offset)
    return bounds, data


@cache
def _char_class(chars: str) -> str:
    """A regex class of the ASCII ``chars``."""
    return "[" + "".join(f"\\x{ord(char):02x}" for char in chars) + "]"


def join(*parts, separator: str = "") -> pa.Array:
    """Strings (columns or literals) joined row by row."""
    return pc.binary_join_element_wise(*parts, separator)


def local_text(times: pa.Array) -> pa.Array:
    """UTC instants as local ISO 8601 text with the offset (nulls stay null)."""
    wall, offset = local_parts(times)
    return join(wall, offset)


def local_parts(times: pa.Array) -> tuple[pa.Array, str | pa.Array]:
    """UTC instants as local ISO 8601 wall time and its offset (``local_text`` in two
    parts): the offset is one string when every instant has the same (Bishkek's has been
    +06:00 since 2005), else a column. Nulls stay null.

    The wall time comes from the tz database (``local_timestamp``) and is cast to text,
    which is an order of magnitude faster than ``strftime``; the offset of each instant
    is the difference between wall time and UTC, rendered once per distinct offset.
    Seconds are the finest unit (truncated: every published instant is after 1970).
    """
    utc = times.cast(pa.timestamp("s", tz="UTC"), safe=False)
    wall = pc.local_timestamp(utc.cast(LOCAL_TIMES))
    text = pc.binary_replace_slice(wall.cast(pa.string()), 10, 11, "T")  # "… 14:05" → "…T14:05"
    offsets = pc.subtract(wall.cast(pa.int64()), utc.cast(pa.int64()))
    distinct = pc.unique(offsets.drop_null())
    names = pa.array([_offset_name(seconds) for seconds in distinct.to_pylist()], pa.string())
    if len(names) <= 1:
        return text, names[0].as_py() if len(names) else ""
    return text, pc.take(names, pc.index_in(offsets, distinct))


def _offset_name(seconds: int) -> str:
    """An offset as ISO 8601 writes it: ``+06:00`` (minutes; seconds dropped, as Python)."""
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def number_text(numbers: pa.Array) -> pa.Array:
    """Floats as text: shortest round trip, whole numbers with ``.0``."""
    text = numbers.cast(pa.string())
    if not _any(pc.equal(pc.floor(numbers), numbers)):  # no whole number (coordinates)
        return text
    whole = pc.match_substring_regex(text, r"^-?\d+$")
    if _any(whole):
        text = pc.if_else(whole, join(text, ".0"), text)
    return text


def guarded(text: pa.Array) -> pa.Array:
    """The OWASP formula guard: a leading apostrophe before a formula's first character."""
    first = pc.binary_slice(text.cast(pa.binary()), 0, 1)  # a byte: every start is ASCII
    starts = pc.is_in(first, _FORMULA_BYTES)
    if not _any(starts):
        return text
    return pc.if_else(starts, join("'", text), text)


def csv_quoted(text: pa.Array, dialect: CsvDialect = RFC4180) -> pa.Array:
    """RFC 4180 quoting, exactly where ``csv.writer`` (QUOTE_MINIMAL) quotes."""
    needs = _holding(text, dialect.quote_chars)
    if needs is None:
        return text
    quotes = _holding(text, '"')
    if quotes is not None:
        text = _where(text, quotes, lambda t: pc.replace_substring(t, '"', '""'))
    return _where(text, needs, lambda t: join('"', t, '"'))


def _where(text: pa.Array, mask: pa.Array, change) -> pa.Array:
    """``text`` with ``change`` applied only to the values where ``mask`` holds (rare)."""
    mask = pc.fill_null(mask, False)
    if not _any(mask):
        return text
    return pc.replace_with_mask(text, mask, change(pc.filter(text, mask)))


def csv_cells(spec: Field, column: pa.Array, dialect: CsvDialect = RFC4180) -> pa.Array:
    """A column as finished CSV cells of ``dialect`` (missing values are empty cells)."""
    if spec.type == "datetime":
        text = local_text(column)
    elif spec.type == "boolean":
        text = pc.if_else(column, "true", "false")
    elif spec.type == "number":
        text = number_text(column)
        if dialect.decimal != ".":
            text = pc.replace_substring(text, ".", dialect.decimal)
    elif spec.type in ("string", "yearmonth"):
        text = csv_quoted(guarded(column) if spec.free_text else column, dialect)
    else:  # integers and dates need no quoting
        text = column.cast(pa.string())
    return pc.fill_null(text, "")


def csv_parts(spec: Field, column: pa.Array, dialect: CsvDialect = RFC4180) -> list:
    """A column as CSV cells, in parts to be joined row by row (as ``json_parts``): a
    datetime column without missing values keeps its one offset as a literal."""
    if spec.type == "datetime" and column.null_count == 0:
        wall, offset = local_parts(column)
        return [wall, offset]
    return [csv_cells(spec, column, dialect)]


def json_string(text: pa.Array) -> pa.Array:
    """Strings as JSON string literals (with their quotes)."""
    return join('"', _json_escaped_where_needed(text), '"')


def _json_escaped_where_needed(text: pa.Array) -> pa.Array:
    needs = _holding(text, _JSON_SPECIAL)
    return text if needs is None else _where(text, needs, _json_escaped)


def _json_escaped(text: pa.Array) -> pa.Array:
    for char, escape in _SHORT_ESCAPES.items():
        text = pc.replace_substring(text, char, escape)
    for code in range(0x20):
        char = chr(code)
        if char not in _SHORT_ESCAPES and _any(pc.match_substring(text, char)):
            text = pc.replace_substring(text, char, f"\\u{code:04x}")
    return text


def json_values(spec: Field, column: pa.Array) -> pa.Array:
    """A column as JSON values (``null`` for missing values)."""
    return join(*json_parts(spec, column))


def json_parts(spec: Field, column: pa.Array) -> list[str | pa.Array]:
    """A column as JSON values, in parts to be joined row by row (``join``): literal
    strings and string columns without nulls.

    A column without missing values keeps its quotes (and a datetime its offset, when one
    offset serves the column) as literals, which the caller's ``join`` of the whole line
    writes in the same pass: no quoted copy of the column is made. Else the parts are the
    finished values, ``null`` where one is missing.
    """
    if column.null_count == 0:
        if spec.type == "datetime":  # digits, "-", ":", "T" and "+": nothing to escape
            wall, offset = local_parts(column)
            return ['"', wall, offset, '"']
        if spec.type not in _UNQUOTED:
            return ['"', _json_escaped_where_needed(column.cast(pa.string())), '"']
    return [_json_value(spec, column)]


#: Types whose JSON values are not strings.
_UNQUOTED = ("boolean", "number", "integer")


def _json_value(spec: Field, column: pa.Array) -> pa.Array:
    if spec.type == "datetime":
        text = join('"', *local_parts(column), '"')
    elif spec.type == "boolean":
        text = pc.if_else(column, "true", "false")
    elif spec.type == "number":
        finite = pc.is_finite(column)  # NaN and infinities are no JSON numbers
        text = pc.if_else(finite, number_text(column), pa.scalar(None, pa.string()))
    elif spec.type == "integer":
        text = column.cast(pa.string())
    else:  # strings, dates, months
        text = json_string(column.cast(pa.string()))
    return pc.fill_null(text, "null")


def joined_bytes(lines: pa.Array) -> bytes:
    """The concatenated text of a string column, from its data buffer (one copy)."""
    if len(lines) == 0:
        return b""
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    bounds, data = _bounds_and_data(lines)
    return b"" if data is None else data[int(bounds[0]) : int(bounds[-1])].to_pybytes()
