"""Progress for long steps (loads, bulk imports): done of a known total, rate and ETA.

A :class:`Progress` is a tqdm bar with a total: the signatures of the GCTX files of a load (their
column count is known before the first one is read), else the bytes of the input files (gzip
files: the compressed bytes). It is silent when stdout is not a terminal (pipes, logs, tests),
unless ``enabled`` says otherwise.

Readers report what they have consumed without knowing about the bar: :func:`file_position` (the
text-line reader calls it every few thousand lines) and :func:`records_done` (the load loop) go
to the bar of the step in progress (:func:`tracking`), or nowhere.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any, Iterator, Optional, Sequence

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"

_CURRENT: ContextVar[Optional["Progress"]] = ContextVar("kgtool_progress", default=None)


def gctx_columns(path: Path) -> Optional[int]:
    """The number of columns (signatures) of a GCTX file; None if ``path`` is not one."""
    try:
        with Path(path).open("rb") as fh:
            if fh.read(8) != HDF5_MAGIC:
                return None
        import h5py

        with h5py.File(path, "r") as f:
            return int(f["0/META/COL/id"].shape[0])
    except (OSError, KeyError, ValueError):
        return None


class Progress:
    """One bar: ``unit`` is ``"B"`` (bytes of files) or a record name such as ``"sig"``."""

    def __init__(self, total: int, unit: str, desc: str, *, enabled: Optional[bool] = None,
                 file: Optional[IO[str]] = None, mininterval: float = 0.5) -> None:
        from tqdm import tqdm

        self.total, self.unit = total, unit
        self._positions: dict[str, int] = {}
        if enabled is None:
            enabled = sys.stdout.isatty()
        self._bar = tqdm(total=total, unit=unit, unit_scale=True, unit_divisor=1024 if unit == "B" else 1000,
                         desc=desc, disable=not enabled, file=file, leave=False, mininterval=mininterval,
                         dynamic_ncols=True)

    @property
    def done(self) -> int:
        return int(self._bar.n)

    def set_done(self, n: int) -> None:
        """``n`` units done in all (never more than the total, never backwards)."""
        n = min(int(n), self.total)
        if n > self._bar.n:
            self._bar.update(n - self._bar.n)

    def file_position(self, path: str, position: int) -> None:
        """Bytes: ``path`` has been read up to ``position`` (a file read twice counts once)."""
        if self.unit != "B" or position <= self._positions.get(path, 0):
            return
        self._positions[path] = position
        self.set_done(sum(self._positions.values()))

    def close(self) -> None:
        self._bar.close()


def for_load(paths: Sequence[Path], desc: str, **options: Any) -> Progress:
    """The bar of a load: signatures of its GCTX files if it has any, else bytes of all its files
    (``options``: those of :class:`Progress`)."""
    columns = [c for c in (gctx_columns(p) for p in paths) if c is not None]
    if columns:
        return Progress(sum(columns), "sig", desc, **options)
    return Progress(sum(Path(p).stat().st_size for p in paths), "B", desc, **options)


@contextmanager
def tracking(progress: Optional[Progress]) -> Iterator[Optional[Progress]]:
    """Make ``progress`` the bar that readers report to, for the ``with`` block; closed after it."""
    token = _CURRENT.set(progress)
    try:
        yield progress
    finally:
        _CURRENT.reset(token)
        if progress is not None:
            progress.close()


def current() -> Optional[Progress]:
    return _CURRENT.get()


def file_position(path: object, position: int) -> None:
    """A text reader's position in ``path`` (bytes), for the bar in progress if it counts bytes."""
    bar = _CURRENT.get()
    if bar is not None:
        bar.file_position(str(path), position)


def records_done(n: int) -> None:
    """``n`` records done in all, for the bar in progress if it counts records."""
    bar = _CURRENT.get()
    if bar is not None and bar.unit != "B":
        bar.set_done(n)
