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
#: Mean bytes per value up to which a column's bytes are scanned before any regex runs.
SHORT_TEXT_BYTES = 32
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
def _byte_table(chars: str) -> np.ndarray:
    """A lookup table of the (ASCII) ``chars``, by byte value."""
    table = np.zeros(256, dtype=bool)
    table[[ord(char) for char in chars]] = True
    return table


@cache
def _char_class(chars: str) -> str:
    """A regex class of the ASCII ``chars``."""
    return "[" + "".join(f"\\x{ord(char):02x}" for char in chars) + "]"


def _holding(text: pa.Array, chars: str) -> pa.Array:
    """Which values of ``text`` hold one of the ASCII ``chars``."""
    return pc.match_substring_regex(text, _char_class(chars))


def _may_hold(text: pa.Array, chars: str) -> bool:
    """Whether a value of ``text`` may hold one of the ASCII ``chars``.

    Short values (codes, ids) are checked by one scan of their bytes, far cheaper than a
    regex call per value, which then runs only when this says so. Long ones (free text,
    which often holds a quote or a line break anyway) go to the regex. A multi-byte UTF-8
    character has no byte below 0x80; the bytes of a null slot may be scanned too, which
    only costs the regex.
    """
    if not isinstance(text, pa.Array) or not pa.types.is_string(text.type):
        return True
    _, offsets, data = text.buffers()
    if data is None or len(text) == 0:
        return False
    bounds = np.frombuffer(offsets, dtype=np.int32)
    start, end = int(bounds[text.offset]), int(bounds[text.offset + len(text)])
    if end - start > SHORT_TEXT_BYTES * len(text):
        return True
    values = np.frombuffer(data, dtype=np.uint8, count=end - start, offset=start)
    return bool(_byte_table(chars)[values].any())


def join(*parts, separator: str = "") -> pa.Array:
    """Strings (columns or literals) joined row by row."""
    return pc.binary_join_element_wise(*parts, separator)


def local_text(times: pa.Array) -> pa.Array:
    """UTC instants as local ISO 8601 text with the offset (nulls stay null).

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
        return join(text, names[0] if len(names) else "")
    return join(text, pc.take(names, pc.index_in(offsets, distinct)))


def _offset_name(seconds: int) -> str:
    """An offset as ISO 8601 writes it: ``+06:00`` (minutes; seconds dropped, as Python)."""
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def number_text(numbers: pa.Array) -> pa.Array:
    """Floats as text: shortest round trip, whole numbers with ``.0``."""
    text = numbers.cast(pa.string())
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
    if not _may_hold(text, dialect.quote_chars):
        return text
    needs = _holding(text, dialect.quote_chars)
    if not _any(needs):
        return text
    doubled = _where(
        text, pc.match_substring(text, '"'), lambda t: pc.replace_substring(t, '"', '""')
    )
    return _where(doubled, needs, lambda t: join('"', t, '"'))


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


def json_string(text: pa.Array) -> pa.Array:
    """Strings as JSON string literals (with their quotes)."""
    if _may_hold(text, _JSON_SPECIAL):
        text = _where(text, _holding(text, _JSON_SPECIAL), _json_escaped)
    return join('"', text, '"')


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
    if spec.type == "datetime":  # digits, "-", ":", "T" and "+": nothing to escape
        text = join('"', local_text(column), '"')
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
    _, offsets, data = lines.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32)
    start, end = bounds[lines.offset], bounds[lines.offset + len(lines)]
    return data[start:end].to_pybytes()
