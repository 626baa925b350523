"""Where a source sends what it cannot load: errors, or report lines under ``lenient``."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from pathlib import Path
from typing import Optional

from toolkit.errors import InputDataError
from toolkit.graph.batches import SourceReport

from .text import one_line

logger = logging.getLogger(__name__)

REPORT_CAP = 100  # report lines per (file, kind of problem); the rest are summarised


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
        self._tables: dict[str, TableRows] = {}  # per file: the data row being read, rows dropped

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

    def table(self, path: Path) -> TableRows:
        """The row bookkeeping of one delimited file (see :class:`DelimitedFile`)."""
        return self._tables.setdefault(str(path), TableRows(str(path)))

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


class TableRows:
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
