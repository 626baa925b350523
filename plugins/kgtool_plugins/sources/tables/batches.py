"""Typed batches from rows, and the base class of sources that report through :class:`Problems`."""

from __future__ import annotations

import math
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence, TypeVar

from toolkit.graph.batches import Batch, NodeBatch, RelBatch, SourceReport
from toolkit.schema import NodeLabel, RelType
from toolkit.sources import LoadOptions, Source

from .problems import Problems

T = TypeVar("T")


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
