"""Delimited text tables read row by row, with every row's column count checked."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Optional, Sequence

from toolkit.errors import InputDataError

from .problems import Problems, TableRows
from .text import CUT_LINE, CUT_LINE_FIX, iter_lines


class Row:
    """One data row of a :class:`DelimitedFile`; values are looked up by column name."""

    __slots__ = ("line", "fields", "_index")

    def __init__(self, line: int, fields: list[str], index: dict[str, int]) -> None:
        self.line = line
        self.fields = fields
        self._index = index

    def __getitem__(self, name: str) -> str:
        return self.fields[self._index[name]]

    def get(self, name: Optional[str], default: str = "") -> str:
        """The stripped value of column ``name`` ("" if the column is absent or name is None)."""
        if name is None or name not in self._index:
            return default
        return self.fields[self._index[name]].strip()

    @property
    def record(self) -> str:
        return f"line {self.line}"


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1].replace('""', '"')
    return value


class DelimitedFile:
    """A delimited text table read row by row, with its column count checked on every row.

    ``sep=None`` splits on runs of whitespace. The header is the first non-blank line that does
    not start with one of ``skip_prefixes``; a leading ``#`` on it is ignored. With ``names``,
    the file has no header and every line not starting with ``skip_prefixes`` is data.

    Values are taken verbatim (quotes included), except with ``unquote=True``, for files written
    by spreadsheet exports that quote a field containing a comma: a field that starts and ends
    with ``"`` loses those quotes and ``""`` inside it becomes ``"``.

    ``complete_lines=True`` (machine-written formats: GAF, STRING links) makes a last data line
    without a line break an error (lenient: dropped and reported): the file was cut there, and a
    line cut inside its last value still has the right number of columns.
    """

    def __init__(
        self,
        path: Path,
        problems: Problems,
        *,
        sep: Optional[str] = "\t",
        names: Optional[Sequence[str]] = None,
        skip_prefixes: tuple[str, ...] = ("!",),
        fallback_encoding: Optional[str] = None,
        unquote: bool = False,
        complete_lines: bool = False,
    ) -> None:
        self.path = Path(path)
        self._problems = problems
        self._cut_line: Optional[int] = None
        self._unquote = unquote
        self._sep = sep
        self._skip = skip_prefixes
        self._headerless = names is not None
        self._fallback = fallback_encoding
        self._lines = iter_lines(self.path, fallback_encoding=fallback_encoding, on_fallback=self._note_fallback,
                                 on_unterminated=self._note_cut if complete_lines else None)
        if names is not None:
            self.columns = tuple(names)
        else:
            self.columns = self._read_header()
        self._index: dict[str, int] = {}
        for i, name in enumerate(self.columns):
            self._index.setdefault(name, i)

    def _note_cut(self, line_no: int) -> None:
        self._cut_line = line_no

    def _note_fallback(self, line_no: int) -> None:
        self._problems.repair(self.path, f"line {line_no}", f"not UTF-8; decoded as {self._fallback}",
                              kind="encoding")

    def _read_header(self) -> tuple[str, ...]:
        for _, text in self._lines:
            if text.strip() and not text.startswith(self._skip):
                fields = self._split(text)
                fields = [f.strip() for f in fields]
                fields[0] = fields[0].lstrip("#").strip()
                return tuple(fields)
        raise InputDataError(self.path, "header", "the file has no header line",
                             "check that this is the right file and it is not empty")

    def _split(self, text: str) -> list[str]:
        fields = text.split(self._sep) if self._sep is not None else text.split()
        if self._unquote:
            fields = [_unquote(f) for f in fields]
        return fields

    def has(self, *names: str) -> bool:
        return all(n in self._index for n in names)

    def column(self, *aliases: str, required: bool = True) -> Optional[str]:
        """The first of ``aliases`` that is a column; raise if none is and ``required``."""
        for name in aliases:
            if name in self._index:
                return name
        if required:
            shown = ", ".join(self.columns[:12]) + (", ..." if len(self.columns) > 12 else "")
            raise InputDataError(
                self.path,
                "header",
                f"missing required column {aliases[0]!r} (found: {shown})",
                f"add a column named {' or '.join(repr(a) for a in aliases)}",
            )
        return None

    def rows(self) -> Iterator[Row]:
        """Data rows; a row with the wrong number of columns is an error (or skipped if lenient).

        When the rows are exhausted, a file without data rows, or whose every data row was
        dropped (by this reader or by the source while the row was being read), is an error:
        a load that keeps nothing of a file must not look complete. Under ``lenient`` a file
        without data rows is a warning and a report line instead (:meth:`Problems.empty`).
        """
        ncols = len(self.columns)
        sep_name = "tab" if self._sep == "\t" else "whitespace" if self._sep is None else repr(self._sep)
        report = self._problems.report
        table = self._problems.table(self.path)
        key = str(self.path)
        for line_no, text in self._lines:
            if not text.strip():
                continue
            if self._headerless and text.startswith(self._skip):
                continue
            fields = self._split(text)
            table.lines += 1
            table.current = f"line {line_no}"
            if line_no == self._cut_line:
                self._problems.bad(self.path, f"line {line_no}", CUT_LINE, CUT_LINE_FIX, kind="cut last line")
                continue
            if len(fields) != ncols:
                self._problems.bad(
                    self.path,
                    f"line {line_no}",
                    f"{len(fields)} {sep_name}-separated columns where the header has {ncols}",
                    f"give every row exactly {ncols} {sep_name}-separated values",
                    kind="wrong column count",
                )
                continue
            report.rows_read += 1
            report.read_by_file[key] = report.read_by_file.get(key, 0) + 1
            yield Row(line_no, fields, self._index)
        table.current = None
        self._check_kept(table)

    def _check_kept(self, table: TableRows) -> None:
        if table.lines == 0:
            what = "no data lines" if self._headerless else "a header but no data rows"
            if self._problems.lenient:
                self._problems.empty(self.path, what)
                return
            raise InputDataError(self.path, "file", f"{what} (0 records)",
                                 "check that the file is complete and is the one meant")
        if table.dropped >= table.lines:
            mine = f"{self.path}: "
            first = next((line[len(mine):] for line in self._problems.report.dropped if line.startswith(mine)), "")
            raise InputDataError(self.path, "file", f"all {table.lines} data rows were dropped; the first: {first}",
                                 "fix the reason above (or load with the files it needs) and load again")
