"""Taking the managed server offline for work on its files, and bringing it back in any case.

What an offline tool (``neo4j-admin database import``) needs from the server, in the order a
caller uses it:

* :func:`stopping_meanwhile`: the server shuts down in a background thread (its own process, on
  another core) while the block prepares the offline work; when the block fails, the stop is
  waited for and the server started again before the error reaches the caller.
* :func:`restarted_after`: the block runs with the server stopped; the server is started again
  afterwards whatever happened, and a start that fails after the block's own failure says both.
* :func:`swap_in_database`: replace a database's store and transaction logs with ones written into
  a staging data directory, putting the old ones back when the move fails.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ServerError
from toolkit.server.manager import ManagedNeo4j

logger = logging.getLogger(__name__)

__all__ = ["BackgroundStop", "OfflineOutcome", "restarted_after", "stopping_meanwhile", "swap_in_database"]


class BackgroundStop:
    """``server.stop()`` in a thread; :meth:`wait` joins it and raises what it raised."""

    def __init__(self, server: ManagedNeo4j, name: str = "stop-neo4j") -> None:
        self._server = server
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._stop, name=name, daemon=True)
        self._thread.start()

    def _stop(self) -> None:
        try:
            self._server.stop()
        except BaseException as exc:  # noqa: BLE001 - handed to wait()
            self._error = exc

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error

    def restart_after(self, error: BaseException, doing: str) -> None:
        """Start the server again when ``doing`` (the work done while it stops) failed with ``error``,
        which the caller raises."""
        try:
            self.wait()
        except BaseException as exc:  # noqa: BLE001 - the first error is the one to report
            logger.warning("stopping Neo4j failed as well: %s", exc)
        try:
            self._server.start()
        except ServerError as exc:
            raise ServerError(f"{doing} failed ({error}) and Neo4j did not start again: {exc}") from error


@contextmanager
def stopping_meanwhile(server: ManagedNeo4j, doing: str, name: str = "stop-neo4j") -> Iterator[BackgroundStop]:
    """Stop ``server`` in the background while the block runs (call the yielded stop's
    :meth:`BackgroundStop.wait` before touching its files). When the block raises, the stop is
    waited for and the server started again (:meth:`BackgroundStop.restart_after`, ``doing`` naming
    the block's work in the error), then the block's error is raised."""
    stop = BackgroundStop(server, name)
    try:
        yield stop
    except BaseException as exc:
        stop.restart_after(exc, doing)
        raise


@dataclass
class OfflineOutcome:
    """What the offline work of :func:`restarted_after` reports: ``failure`` is set (one line) when it
    failed in a way the caller raises after the server is back."""

    failure: str | None = None


@contextmanager
def restarted_after(server: ManagedNeo4j, doing: str) -> Iterator[OfflineOutcome]:
    """Run the block with ``server`` stopped and start it again afterwards, in any case.

    When the start fails, its :class:`ServerError` is raised; when the block had set
    ``outcome.failure`` the error says both (``"<doing> failed (<failure>) and Neo4j did not start
    again: ..."``).
    """
    outcome = OfflineOutcome()
    try:
        yield outcome
    finally:
        try:
            server.start()
        except ServerError as exc:
            if outcome.failure is None:
                raise
            raise ServerError(f"{doing} failed ({outcome.failure}) and Neo4j did not start again: {exc}") from exc


def _database_dirs(data_dir: Path, database: str) -> tuple[Path, Path]:
    """A database's store and transaction-log directories under a data directory."""
    return data_dir / "databases" / database, data_dir / "transactions" / database


def swap_in_database(server: ManagedNeo4j, staging: Path, database: str) -> None:
    """Replace the database's store and transaction logs with those under the ``staging`` data
    directory (the server stopped); the old ones are put back when a move fails (ServerError)."""
    pairs = list(zip(_database_dirs(staging, database), _database_dirs(server.data_dir, database)))
    replaced = staging / "replaced"
    replaced.mkdir(parents=True, exist_ok=True)
    backups: list[tuple[Path, Path]] = []
    installed: list[Path] = []
    try:
        for i, (_, live) in enumerate(pairs):
            if live.exists():
                backup = replaced / f"{i}-{live.name}"
                shutil.move(str(live), str(backup))
                backups.append((backup, live))
        for new, live in pairs:
            if new.exists():
                live.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(new), str(live))
                installed.append(live)
    except OSError as exc:
        for live in installed:
            shutil.rmtree(live, ignore_errors=True)
        for backup, live in backups:
            if not live.exists():
                shutil.move(str(backup), str(live))
        raise ServerError(
            f"could not move the imported database into {server.data_dir}: {exc}; the old database was put back, "
            "free disk space or fix the permissions and retry"
        ) from exc
