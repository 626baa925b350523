"""The one way kgtool talks to Neo4j: a small wrapper around the official driver."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional

from toolkit import cypher
from toolkit.cypher import Statement
from toolkit.errors import GraphConnectionError, KgtoolError, ServerError
from toolkit.settings import Settings

logger = logging.getLogger(__name__)


def managed_password_file(home: Path) -> Path:
    """Where the managed server's generated password is kept (mode 0600)."""
    return home / "neo4j" / "password"


def _password(settings: Settings) -> str:
    if settings.password is not None:
        return settings.password
    if not settings.managed:
        raise GraphConnectionError(
            f"no password for {settings.uri}; set NEO4J_PASSWORD (and NEO4J_USERNAME if not 'neo4j')"
        )
    path = managed_password_file(settings.home)
    if not path.is_file():
        raise GraphConnectionError(
            f"the managed Neo4j in {settings.home} has never been started; run `kgtool db start` "
            "or point NEO4J_URI/NEO4J_PASSWORD at your own server"
        )
    return path.read_text().strip()


class Graph:
    """A connected database. Use as a context manager; transaction functions return plain data."""

    def __init__(self, settings: Settings) -> None:
        import neo4j

        self.settings = settings
        self.database = settings.database
        self._driver = neo4j.GraphDatabase.driver(
            settings.bolt_uri, auth=(settings.username, _password(settings)), notifications_min_severity="OFF"
        )
        self._verify()

    def _verify(self) -> None:
        from neo4j import exceptions

        uri = self.settings.bolt_uri
        try:
            self._driver.verify_connectivity()
        except exceptions.AuthError:
            self.close()
            where = (
                f"the managed server's password is in {managed_password_file(self.settings.home)}; "
                "unset NEO4J_PASSWORD or run `kgtool db reset --hard`"
                if self.settings.managed
                else "check NEO4J_USERNAME/NEO4J_PASSWORD"
            )
            raise GraphConnectionError(f"Neo4j at {uri} rejected the credentials for user "
                                       f"{self.settings.username!r}; {where}") from None
        except (exceptions.ServiceUnavailable, exceptions.DriverError, OSError) as exc:
            self.close()
            fix = "start it with `kgtool db start`" if self.settings.managed else "check NEO4J_URI and that the server runs"
            raise GraphConnectionError(f"cannot reach Neo4j at {uri} ({type(exc).__name__}); {fix}") from None

    def __enter__(self) -> "Graph":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._driver.close()

    def read(self, statement: Statement, **params: Any) -> list[dict[str, Any]]:
        """Run a read statement and return its records as dicts."""
        params = statement.check(params)

        def work(tx: Any) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(statement.text, params)]

        with self._driver.session(database=self.database) as session:
            return session.execute_read(work)

    def write(self, statement: Statement, **params: Any) -> dict[str, int]:
        """Run a write statement in one transaction; return its update counters."""
        params = statement.check(params)

        def work(tx: Any) -> dict[str, int]:
            summary = tx.run(statement.text, params).consume()
            return {k: v for k, v in vars(summary.counters).items() if isinstance(v, int) and v}

        with self._driver.session(database=self.database) as session:
            return session.execute_write(work)

    def run_autocommit(self, statement: Statement, **params: Any) -> None:
        """Run a statement that manages its own transactions (``CALL … IN TRANSACTIONS``, schema)."""
        params = statement.check(params)
        with self._driver.session(database=self.database) as session:
            session.run(statement.text, params).consume()

    def delete_everything(self) -> None:
        """Empty the database (schema kept): relationships first, then nodes, in small transactions."""
        self.run_autocommit(cypher.load("write/delete_all_relationships"))
        self.run_autocommit(cypher.load("write/delete_all"))

    def read_plain(self, statement: Statement, **params: Any) -> list[dict[str, Any]]:
        """:meth:`read` without ``Record.data()``, which walks every value in Python (slow on many
        rows or long lists); for statements that return plain values (no nodes or paths)."""
        with self.reading() as reader:
            return reader.plain(statement, **params)

    def write_records(self, statement: Statement, **params: Any) -> list[dict[str, Any]]:
        """Run a write statement in one transaction; return its records as dicts."""
        params = statement.check(params)

        def work(tx: Any) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(statement.text, params)]

        with self._driver.session(database=self.database) as session:
            return session.execute_write(work)

    def run_each(self, statement: Statement, rows: Iterable[Mapping[str, Any]]) -> int:
        """Run ``statement`` once per parameter set of ``rows``, each in its own auto-commit
        transaction on one session (the one-statement-per-row baseline that benchmarks compare the
        batched writer with); the number of statements run."""
        checked = [statement.check(row) for row in rows]
        with self._driver.session(database=self.database) as session:
            for params in checked:
                session.run(statement.text, params).consume()
        return len(checked)

    @contextmanager
    def reading(self) -> Iterator["Reader"]:
        """A :class:`Reader`: one session for a sequence of read transactions (a paged read)."""
        with self._driver.session(database=self.database) as session:
            yield Reader(session)


class Reader:
    """Read transactions of stored statements on one session (one connection), for paged reads.

    Each call is one read transaction, retried by the driver, that returns plain data. A reader may
    move between threads (a page read ahead on a worker) but serves one call at a time.
    """

    def __init__(self, session: Any) -> None:
        self._session = session

    def values(self, statement: Statement, **params: Any) -> list[tuple[Any, ...]]:
        """The records as tuples of their values in ``RETURN`` order, taken as the driver gives them
        (no ``Record.data()``: that walks every float of every vector in Python)."""
        params = statement.check(params)

        def work(tx: Any) -> list[tuple[Any, ...]]:
            return [tuple(record) for record in tx.run(statement.text, params)]

        return self._session.execute_read(work)

    def plain(self, statement: Statement, **params: Any) -> list[dict[str, Any]]:
        """The records as dicts of their values as the driver gives them (see :meth:`values`)."""
        params = statement.check(params)

        def work(tx: Any) -> list[dict[str, Any]]:
            result = tx.run(statement.text, params)
            keys = result.keys()
            return [dict(zip(keys, record)) for record in result]

        return self._session.execute_read(work)


def read_failure(exc: BaseException, settings: Settings, doing: str) -> Optional[KgtoolError]:
    """The one-line error for a server-side failure while ``doing`` a read, or None when ``exc`` is
    not one: the server ran out of memory (``Neo.TransientError.General.OutOfMemoryError`` and the
    other ``*OutOfMemory*``/memory-limit codes, after the driver's retries) -> :class:`ServerError`;
    the connection was lost (``ServiceUnavailable``, ``SessionExpired``) -> :class:`GraphConnectionError`."""
    from neo4j import exceptions

    uri = settings.bolt_uri
    code = getattr(exc, "code", None) or ""
    if isinstance(exc, exceptions.Neo4jError) and ("OutOfMemory" in code or "MemoryLimit" in code):
        fix = (f"give the managed server more memory (KGTOOL_HEAP, configured {settings.heap}; KGTOOL_PAGECACHE, "
               f"configured {settings.pagecache}), restart it (`kgtool db stop`, `kgtool db start`) and run the "
               "command again"
               if settings.managed else
               "give the server more heap (server.memory.heap.max_size) or transaction memory "
               "(db.memory.transaction.total.max) and run the command again")
        return ServerError(f"Neo4j at {uri} ran out of memory while {doing} ({code}); nothing was written; {fix}")
    if isinstance(exc, (exceptions.ServiceUnavailable, exceptions.SessionExpired)):
        where = (f"the server's logs (neo4j.log, debug.log under {settings.home / 'neo4j'}/neo4j-community-*/logs) "
                 "say why it went away; start it again (`kgtool db start`)" if settings.managed
                 else "check that the server runs")
        detail = str(exc).splitlines()[0] if str(exc) else ""
        return GraphConnectionError(f"lost the connection to Neo4j at {uri} while {doing} ({type(exc).__name__}"
                                    f"{': ' + detail if detail else ''}); nothing was written; {where}, then run "
                                    "the command again")
    return None


@contextmanager
def translated_read_errors(settings: Settings, doing: str) -> Iterator[None]:
    """Turn a server-side failure inside the block (see :func:`read_failure`) into one clear line."""
    try:
        yield
    except KgtoolError:
        raise
    except Exception as exc:  # noqa: BLE001 - only the recognised failures are translated
        error = read_failure(exc, settings, doing)
        if error is None:
            raise
        raise error from None


def connect(settings: Settings) -> Graph:
    """Connect and verify; errors are one-line :class:`GraphConnectionError`."""
    return Graph(settings)
