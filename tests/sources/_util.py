"""Helpers for the source tests: run a source, pick rows out of batches, check batch invariants."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

from toolkit.graph.batches import Batch, LookupBatch, NodeBatch, RelBatch, SourceReport
from toolkit.schema import ENDPOINTS, NodeLabel, RelType
from toolkit.sources import LoadOptions, Source

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def run(source: Source, paths: Sequence[Path], **options: Any) -> tuple[list[Batch], SourceReport]:
    """All batches of one read, checked for the invariants every source must keep.

    Graph lookups (:class:`LookupBatch`) are answered as an empty graph would answer them.
    """
    opts = LoadOptions.from_values(**options)
    report = SourceReport(source.name)
    batches = []
    for batch in source.read([Path(p) for p in paths], opts, report):
        if isinstance(batch, LookupBatch):
            batch.answer([])
        else:
            batches.append(batch)
    check_batches(batches, opts.batch_size)
    return batches, report


def nodes(batches: Sequence[Batch], label: NodeLabel) -> list[dict[str, Any]]:
    return [row for b in batches if isinstance(b, NodeBatch) and b.label is label for row in b.rows]


def rels(batches: Sequence[Batch], rel_type: RelType) -> list[dict[str, Any]]:
    return [row for b in batches if isinstance(b, RelBatch) and b.rel_type is rel_type for row in b.rows]


def counts(batches: Sequence[Batch]) -> Counter[str]:
    out: Counter[str] = Counter()
    for b in batches:
        out[b.label.value if isinstance(b, NodeBatch) else b.rel_type.value] += len(b.rows)
    return out


def _plain(value: Any) -> bool:
    if isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, list):
        return all(isinstance(v, (str, int, float, bool)) for v in value)
    return False


def check_batches(batches: Sequence[Batch], batch_size: int) -> None:
    """Batch size, plain property types, keys, and nodes of a label before rels that use it."""
    seen_labels: set[NodeLabel] = set()
    for b in batches:
        assert 0 < len(b.rows) <= batch_size
        if isinstance(b, NodeBatch):
            seen_labels.add(b.label)
            for row in b.rows:
                assert all(_plain(v) for v in row.values()), row
        else:
            assert (b.start, b.end) in ENDPOINTS[b.rel_type]
            assert b.start in seen_labels and b.end in seen_labels, f"{b.rel_type} before its nodes"
            for row in b.rows:
                assert set(row) == {"start", "end", "props"}
                assert all(_plain(v) for v in row["props"].values()), row


def write(path: Path, text: str, *, gz: bool = False, encoding: str = "utf-8") -> Path:
    data = text.encode(encoding)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def truncated_gzip(path: Path, text: str) -> Path:
    """A gzip file cut in the middle of its data (as a broken download leaves it)."""
    data = gzip.compress(text.encode("utf-8"))
    path.write_bytes(data[: len(data) // 2])
    return path


def tsv(*rows: Sequence[Any]) -> str:
    return "".join("\t".join(str(v) for v in row) + "\n" for row in rows)


def spy_column_reads(monkeypatch, matrix_class) -> list[int]:
    """The number of columns of every ``matrix_class.columns`` read from now on (the list fills up)."""
    sizes: list[int] = []
    original = matrix_class.columns

    def spy(self, index):
        sizes.append(len(index))
        return original(self, index)

    monkeypatch.setattr(matrix_class, "columns", spy)
    return sizes
