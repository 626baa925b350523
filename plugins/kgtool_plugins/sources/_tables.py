"""What the built-in sources share: line-checked text reading, problem reports, ids and batching.

* :func:`iter_lines` reads a text file, gzip-compressed or not (told apart by the magic bytes, not
  the name), line by line. A truncated or corrupt gzip stream and bytes that are not UTF-8 raise
  :class:`InputDataError` naming the file and the line.
* :class:`DelimitedFile` reads a delimited table with a header (or given column names), checks
  every row's column count and hands out :class:`Row` objects that know their line number.
* :class:`Problems` turns a bad record into an error, or, under ``lenient``, into a line of
  ``report.dropped``; it also notes repairs. Lines are capped per file and kind of problem, with a
  summary line for the rest, so a file with a million bad rows does not flood the report.
* :class:`GeneTable` reads gene tables (CLUE ``geneinfo_beta``, LINCS 2017 ``gene_info``, the
  landmark list) that map symbols and probe ids to Entrez ids and say which genes are landmarks.
* :func:`node_batches` / :func:`rel_batches` chunk rows into typed batches.
"""

from __future__ import annotations

import gzip
import logging
import math
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, TypeVar

from toolkit import progress
from toolkit.errors import InputDataError
from toolkit.graph.batches import Batch, NodeBatch, RelBatch, SourceReport
from toolkit.schema import NodeLabel, RelType
from toolkit.sources import LoadOptions, Source

logger = logging.getLogger(__name__)

T = TypeVar("T")

GZIP_MAGIC = b"\x1f\x8b"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

# Values that mean "no value" in LINCS/CLUE tables (CMap writes -666 for missing metadata).
MISSING = frozenset({"", "-666", "-666.0", "NA", "N/A", "na", "nan", "NaN", "null", "None"})

PROGRESS_EVERY = 4096  # lines between reports of the read position to the progress bar
REPORT_CAP = 100  # report lines per (file, kind of problem); the rest are summarised


def one_line(text: object) -> str:
    """``text`` as a single line (error messages and report lines must not span lines)."""
    return " ".join(str(text).split())


def file_magic(path: Path, size: int = 8) -> bytes:
    """The first ``size`` bytes of ``path`` (raises InputDataError if it cannot be opened)."""
    try:
        with Path(path).open("rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise InputDataError(path, "file", f"cannot be opened ({one_line(exc.strerror or exc)})",
                             "check the path and its permissions") from None


def iter_lines(
    path: Path,
    *,
    fallback_encoding: Optional[str] = None,
    on_fallback: Optional[Callable[[int], None]] = None,
    on_unterminated: Optional[Callable[[int], None]] = None,
) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text without the line break)`` for each line of ``path``.

    UTF-8 is required unless ``fallback_encoding`` is given: then a line that is not UTF-8 is
    decoded with it and ``on_fallback(line_no)`` is called. ``on_unterminated(line_no)`` is called
    (before that line is yielded) when the file's last line has text but no line break: a file
    cut mid-line, for formats whose writers end every line (see :data:`CUT_LINE`).
    """
    path = Path(path)
    gz = file_magic(path, 2) == GZIP_MAGIC
    line_no = 0
    try:
        with (gzip.open(path, "rb") if gz else path.open("rb")) as fh:
            raw_file = fh.fileobj if gz else fh  # bytes of the file itself (compressed for gzip)
            for raw in fh:
                line_no += 1
                if not line_no % PROGRESS_EVERY:
                    progress.file_position(path, raw_file.tell())
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    if fallback_encoding is None:
                        raise InputDataError(
                            path,
                            f"line {line_no}",
                            f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not valid UTF-8",
                            "save the file as UTF-8 (for example `iconv -f latin1 -t utf-8 FILE > NEW`)",
                        ) from None
                    text = raw.decode(fallback_encoding, errors="replace")
                    if on_fallback is not None:
                        on_fallback(line_no)
                if line_no == 1 and text.startswith("\ufeff"):
                    text = text[1:]
                if on_unterminated is not None and not raw.endswith(b"\n") and text.strip():
                    on_unterminated(line_no)
                yield line_no, text.rstrip("\r\n")
            progress.file_position(path, raw_file.tell())
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputDataError(
            path,
            f"line {line_no + 1}",
            f"the gzip data is truncated or corrupt ({one_line(exc)})",
            "download or compress the file again (`gzip -t FILE` checks it)",
        ) from None
    except OSError as exc:
        raise InputDataError(path, f"line {line_no + 1}", f"cannot be read ({one_line(exc)})",
                             "check the file and the disk") from None


CUT_LINE = "the file ends in the middle of this line (no final line break): it is cut"
CUT_LINE_FIX = ("download or copy the file again (if it is complete, end its last line with a line break)")


class TextLines:
    """A line-checked text stream (with line breaks) for parsers that take an open file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __enter__(self) -> TextLines:
        return self

    def __exit__(self, *exc_info: object) -> bool:
        return False

    def __iter__(self) -> Iterator[str]:
        for _, text in iter_lines(self.path):
            yield text + "\n"


@dataclass(frozen=True)
class Head:
    """The start of a text file: its first line and its header fields (``!`` lines skipped)."""

    first_line: str
    fields: tuple[str, ...]

    def has(self, *names: str) -> bool:
        return all(n in self.fields for n in names)

    def has_any(self, *names: str) -> bool:
        return any(n in self.fields for n in names)


def _split_header(text: str) -> tuple[str, ...]:
    parts = text.split("\t") if "\t" in text else text.split()
    fields = [p.strip() for p in parts]
    if fields:
        fields[0] = fields[0].lstrip("#").strip()
    return tuple(fields)


def sniff(path: Path, skip_prefixes: tuple[str, ...] = ("!",)) -> Head:
    """Read just enough of ``path`` to tell what kind of table it is."""
    first: Optional[str] = None
    for _, text in iter_lines(path, fallback_encoding="latin-1"):
        if first is None:
            first = text
        if text.strip() and not text.startswith(skip_prefixes):
            return Head(first, _split_header(text))
    return Head(first or "", ())


class Problems:
    """Where a source sends bad records (error, or dropped under ``lenient``) and repairs.

    Report lines are capped per (file, reason); the row counts per reason
    (``report.dropped_by_reason`` / ``repaired_by_reason``) are exact. A call may stand for
    several rows (``rows=``, e.g. "1,200 signatures without qc_pass skipped").
    """

    def __init__(self, report: SourceReport, lenient: bool, cap: int = REPORT_CAP) -> None:
        self.report = report
        self.lenient = lenient
        self.cap = cap
        self._counts: Counter[tuple[str, str, str]] = Counter()  # report calls per (which, file, reason)
        self._rows: Counter[tuple[str, str, str]] = Counter()  # rows per (which, file, reason)
        self._listed: Counter[tuple[str, str, str]] = Counter()  # rows of the listed calls
        self._tables: dict[str, _TableRows] = {}  # per file: the data row being read, rows dropped

    def bad(self, path: Path, record: object, problem: str, fix: str, *, kind: Optional[str] = None,
            rows: int = 1) -> None:
        """A malformed record: raise :class:`InputDataError`, or note it as dropped if lenient."""
        if not self.lenient:
            raise InputDataError(path, one_line(record), one_line(problem), one_line(fix))
        self.drop(path, record, f"{problem}; skipped (lenient)", kind=kind or problem, rows=rows)

    def drop(self, path: Path, record: object, problem: str, *, kind: Optional[str] = None, rows: int = 1) -> None:
        """A record that is not loaded, for a reason that is not an error."""
        self._note(self.report.dropped, "dropped", path, record, problem, kind, rows)
        table = self._tables.get(str(path))
        if table is not None:
            table.dropped_record(one_line(record))

    def empty(self, path: Path, what: str) -> None:
        """A file without records under ``lenient``: a warning and one report line, kind ``0 records``
        (strict loads raise instead; every source treats an empty input this way)."""
        text = f"{one_line(what)} (0 records); nothing loaded from it (lenient)"
        logger.warning("%s: %s", path, text)
        self.drop(path, "file", text, kind="0 records")

    def repair(self, path: Path, record: object, what: str, *, kind: Optional[str] = None, rows: int = 1) -> None:
        """A record that was loaded after a documented repair."""
        self._note(self.report.repaired, "repaired", path, record, what, kind, rows)

    def _note(self, lines: list[str], which: str, path: Path, record: object, text: str,
              kind: Optional[str], rows: int) -> None:
        reason = one_line(kind or text)
        key = (which, str(path), reason)
        self._counts[key] += 1
        self._rows[key] += rows
        by_reason = self.report.dropped_by_reason if which == "dropped" else self.report.repaired_by_reason
        by_reason[reason] = by_reason.get(reason, 0) + rows
        if self._counts[key] <= self.cap:
            self._listed[key] += rows
            lines.append(f"{path}: {one_line(record)}: {one_line(text)}")

    def table(self, path: Path) -> _TableRows:
        """The row bookkeeping of one delimited file (see :class:`DelimitedFile`)."""
        return self._tables.setdefault(str(path), _TableRows(str(path)))

    def finish(self) -> None:
        """Add one summary line per kind of problem that went over the cap."""
        for (which, path, kind), n in sorted(self._counts.items()):
            if n > self.cap:
                lines = self.report.dropped if which == "dropped" else self.report.repaired
                more = self._rows[(which, path, kind)] - self._listed[(which, path, kind)]
                lines.append(f"{path}: {more} more rows {which} ({one_line(kind)}); "
                             f"only the first {self.cap} are listed")
        if self._counts:
            totals: dict[str, int] = defaultdict(int)
            for (which, _, _), n in self._rows.items():
                totals[which] += n
            logger.info("%s: %s", self.report.source, dict(totals))


class _TableRows:
    """One delimited file's data rows: how many, how many dropped (each row once, while it is read)."""

    __slots__ = ("path", "lines", "dropped", "current", "_counted")

    def __init__(self, path: str) -> None:
        self.path = path
        self.lines = 0  # data lines seen (malformed ones too)
        self.dropped = 0  # data lines dropped
        self.current: Optional[str] = None  # the record ("line N") of the row being read
        self._counted: Optional[str] = None

    def dropped_record(self, record: str) -> None:
        """A drop of ``record``: counts if it is the row being read (and that row is not counted yet)."""
        cur = self.current
        if cur is not None and cur != self._counted and (record == cur or record.startswith(cur + " ")):
            self.dropped += 1
            self._counted = cur


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

    def _check_kept(self, table: _TableRows) -> None:
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

# ---------------------------------------------------------------------------------------------
# values and identifiers


def is_missing(value: Any) -> bool:
    """True for None, NaN and the missing-value tokens of LINCS tables (``-666``, ``NA``, ...)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value) or value == -666.0
    if isinstance(value, int) and not isinstance(value, bool):
        return value == -666
    return str(value).strip() in MISSING


def parse_int(text: str) -> Optional[int]:
    """``text`` as an int ("12", "12.0" and " 12 " are fine); None if it is not one."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            return None
        return int(value) if value.is_integer() else None


def pert_id(raw: str) -> str:
    """The 13-character LINCS pert_id of a Broad id (``BRD-K12345678-001-01-1`` → ``BRD-K12345678``)."""
    text = raw.strip()
    if len(text) > 13 and text[:4].upper() == "BRD-":
        return text[:13]
    return text


COMPOUND_PERT_TYPES = ("trt_cp", "trt_poscon", "ctl_vehicle")


def is_compound_pert_type(pert_type: str) -> bool:
    """True for LINCS perturbagen types that are small molecules (``trt_cp``, ``ctl_vehicle``, ...)."""
    return pert_type.strip().lower().split(".")[0] in COMPOUND_PERT_TYPES


def split_list(text: str, seps: str = "|;") -> list[str]:
    """Split a multi-valued cell on any of ``seps``; strip, drop empties, keep order, no repeats."""
    for sep in seps[1:]:
        text = text.replace(sep, seps[0])
    out: list[str] = []
    for part in text.split(seps[0]):
        part = part.strip()
        if part and part not in MISSING and part not in out:
            out.append(part)
    return out


# ---------------------------------------------------------------------------------------------
# gene tables

GENE_ID_COLUMNS = ("gene_id", "pr_gene_id", "entrez_id", "Entrez Gene ID")
GENE_SYMBOL_COLUMNS = ("gene_symbol", "pr_gene_symbol", "symbol", "Gene Symbol")
LANDMARK_FLAG_COLUMNS = ("pr_is_lm", "pr_is_lmark", "is_lm")
PROBE_COLUMNS = ("pr_id",)


def is_gene_table(head: Head) -> bool:
    """A table of genes: an Entrez id column and a symbol column, and no compound or GO columns."""
    return (
        head.has_any(*GENE_ID_COLUMNS)
        and head.has_any(*GENE_SYMBOL_COLUMNS)
        and not head.has_any("pert_id", "sig_id", "go_id", "entrez_a")
    )


@dataclass
class GeneTable:
    """Entrez ids with symbols, probe ids and landmark flags, merged from one or more gene tables."""

    symbols: dict[int, str] = field(default_factory=dict)
    landmarks: set[int] = field(default_factory=set)
    has_landmark_info: bool = False
    probes: dict[str, int] = field(default_factory=dict)
    _by_symbol: Optional[dict[str, set[int]]] = field(default=None, repr=False)

    def read(self, path: Path, problems: Problems) -> None:
        """Add the genes of one table (see :data:`GENE_ID_COLUMNS` for the accepted layouts)."""
        table = DelimitedFile(path, problems)
        id_col = table.column(*GENE_ID_COLUMNS)
        sym_col = table.column(*GENE_SYMBOL_COLUMNS)
        space_col = table.column("feature_space", required=False)
        flag_col = table.column(*LANDMARK_FLAG_COLUMNS, required=False)
        probe_col = table.column(*PROBE_COLUMNS, required=False)
        if space_col or flag_col:
            self.has_landmark_info = True
        for row in table.rows():
            entrez = parse_int(row.get(id_col))
            if entrez is None or entrez <= 0:
                problems.bad(path, row.record, f"gene id {row.get(id_col)!r} is not an Entrez id",
                             "use positive integer Entrez gene ids", kind="bad gene id")
                continue
            symbol = row.get(sym_col)
            if symbol and symbol not in MISSING:
                self.symbols.setdefault(entrez, symbol)
            if space_col and row.get(space_col).lower() == "landmark":
                self.landmarks.add(entrez)
            if flag_col and row.get(flag_col).lower() in ("1", "1.0", "true", "yes"):
                self.landmarks.add(entrez)
            if probe_col and row.get(probe_col):
                self.probes.setdefault(row.get(probe_col), entrez)
        self._by_symbol = None

    def ids_for_symbol(self, symbol: str) -> set[int]:
        """Entrez ids whose symbol is ``symbol`` (case-insensitive)."""
        if self._by_symbol is None:
            index: dict[str, set[int]] = defaultdict(set)
            for entrez, sym in self.symbols.items():
                index[sym.upper()].add(entrez)
            self._by_symbol = dict(index)
        return self._by_symbol.get(symbol.strip().upper(), set())


# ---------------------------------------------------------------------------------------------
# batches


def clean(props: dict[str, Any]) -> dict[str, Any]:
    """Drop properties Neo4j cannot store or that carry no value: None, NaN, lists holding None."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, (list, tuple)):
            if any(v is None for v in value):
                continue
            value = list(value)
        out[key] = value
    return out


def rel(start: Any, end: Any, **props: Any) -> dict[str, Any]:
    """A relationship row for :class:`RelBatch`."""
    return {"start": start, "end": end, "props": clean(props)}


def batched(items: Iterable[T], size: int) -> Iterator[tuple[T, ...]]:
    """Consecutive tuples of at most ``size`` items."""
    if size < 1:
        raise ValueError(f"batch size must be >= 1, got {size}")
    it = iter(items)
    while chunk := tuple(islice(it, size)):
        yield chunk


def node_batches(label: NodeLabel, rows: Iterable[dict[str, Any]], size: int) -> Iterator[NodeBatch]:
    for chunk in batched(rows, size):
        yield NodeBatch(label, chunk)


def rel_batches(
    rel_type: RelType, start: NodeLabel, end: NodeLabel, rows: Iterable[dict[str, Any]], size: int
) -> Iterator[RelBatch]:
    for chunk in batched(rows, size):
        yield RelBatch(rel_type, start, end, chunk)


class ReportingSource(Source):
    """A source whose ``_read`` reports bad records through :class:`Problems` (finished even on error)."""

    def read(self, paths: Sequence[Path], options: LoadOptions, report: SourceReport) -> Iterator[Batch]:
        problems = Problems(report, options.lenient)
        try:
            yield from self._read(paths, options, problems)
        finally:
            problems.finish()

    def _read(self, paths: Sequence[Path], options: LoadOptions, problems: Problems) -> Iterator[Batch]:
        raise NotImplementedError
