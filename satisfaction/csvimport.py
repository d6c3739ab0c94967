"""What the CSV imports (paper forms, the dossier list, the unit list) share: the result and
its row errors, a file refused as a whole, decoding, reading the data rows, dates.

A file with any bad row stores nothing, unless the user asks to skip bad rows; every bad
row is reported with its line number and a message key the pages translate.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class RowError:
    line: int
    #: A message key (see ``IMPORT_MESSAGES`` in the admin views) and its values.
    problem: str
    detail: str = ""


@dataclass
class ImportResult:
    rows: int = 0
    stored: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportRefused(ValueError):
    """The file as a whole cannot be read (encoding, header, size)."""

    def __init__(self, problem: str, detail: str = ""):
        self.problem, self.detail = problem, detail
        super().__init__(f"{problem}: {detail}" if detail else problem)


def decode(data: bytes) -> str:
    """The file's text; ``not_utf8`` with the line of the first byte that is not UTF-8
    (where to look in the file) otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused("not_utf8", str(data[: exc.start].count(b"\n") + 1)) from exc


def _short(value: str, length: int = 60) -> str:
    return value if len(value) <= length else value[:length] + "…"


def read_header(text: str, columns: Sequence[str], required: Sequence[str]
                ) -> tuple[Iterator[list[str]], list[str]]:
    """The reader and the header (lower case) of a CSV file whose delimiter is the header
    line's: Excel writes ';' or a tab with some regional settings, and no column name holds
    one. Unknown, repeated and missing columns refuse the file; unnamed columns are allowed
    (Excel adds them after the last one when a cell to the right was ever used)."""
    if not text.strip():
        raise ImportRefused("empty")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    # strict: an unclosed quote is reported, not swallowed into one long cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration as exc:
        raise ImportRefused("empty") from exc
    except csv.Error as exc:
        raise ImportRefused("bad_csv", str(exc)) from exc
    unknown = [name for name in header if name and name not in columns]
    if unknown:
        raise ImportRefused("unknown_columns", ", ".join(_short(n) for n in unknown))
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        raise ImportRefused("duplicate_columns", ", ".join(duplicated))
    missing = [name for name in required if name not in header]
    if missing:
        raise ImportRefused("missing_columns", ", ".join(missing))
    return reader, header


def data_rows(reader: Iterator[list[str]], header: Sequence[str], result: ImportResult,
              max_rows: int) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, cells by column name) of each non-blank row after the header. Counts the rows
    in ``result``, records rows with the wrong number of cells there, refuses a file with
    more than ``max_rows`` rows or that is not valid CSV."""
    try:
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            result.rows += 1
            if result.rows > max_rows:
                raise ImportRefused("too_many_rows", str(max_rows))
            if len(row) != len(header):
                result.errors.append(
                    RowError(line, "wrong_cell_count", f"{len(row)}/{len(header)}"))
                continue
            yield line, {name: cell.strip() for name, cell in zip(header, row, strict=True)}
    except csv.Error as exc:
        raise ImportRefused("bad_csv", str(exc)) from exc


def chunks(values: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Day first, as Vietnamese Excel writes dates; never month first.
_DMY_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_day(raw: str) -> date | None:
    """A date written YYYY-MM-DD or DD/MM/YYYY, or None when it is neither (or no such
    day, e.g. 30/02/2026)."""
    raw = raw.strip()
    try:
        if _ISO_DATE.fullmatch(raw):
            return date.fromisoformat(raw)
        match = _DMY_DATE.fullmatch(raw)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None
