"""The domain error hierarchy.

Every error carries a one-line message that names what went wrong, where (file, record) and the
fix. The CLI turns them into ``click.ClickException`` unchanged.
"""

from __future__ import annotations


class KgtoolError(Exception):
    """Base class: a user-facing, one-line error."""


class ConfigError(KgtoolError):
    """A setting is missing or invalid."""


class ServerError(KgtoolError):
    """The managed Neo4j server could not be installed, started or stopped."""


class JavaError(ServerError):
    """Java is missing or too old for the managed Neo4j."""


class PortInUseError(ServerError):
    """A port the managed server needs is already taken."""


class MavenError(ServerError):
    """Maven could not fetch the Neo4j jars."""


class GraphConnectionError(KgtoolError):
    """The graph database cannot be reached or refused the credentials."""


class InputDataError(KgtoolError):
    """A user-supplied file is malformed: the message names the file, the record and the fix."""

    def __init__(self, path: object, record: object, problem: str, fix: str) -> None:
        self.path = str(path)
        self.record = record
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}: {record}: {problem}; fix: {fix}")


class PluginError(KgtoolError):
    """A plugin is broken, duplicated or unknown."""


class QueryError(KgtoolError):
    """A stored Cypher query is unknown or was called with the wrong parameters."""


class RunError(KgtoolError):
    """A train or explain run cannot proceed (missing data, unknown run, ...)."""
