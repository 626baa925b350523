"""The Neo4j Community server that kgtool installs from Maven Central jars and runs locally."""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolkit.errors import ConfigError
from toolkit.server.config import ServerConfig, ServerStatus
from toolkit.server.manager import ManagedNeo4j

if TYPE_CHECKING:
    from toolkit.settings import Settings

__all__ = ["ManagedNeo4j", "ServerConfig", "ServerStatus", "managed_server"]


def managed_server(settings: Settings, doing: str = "") -> ManagedNeo4j:
    """The managed server of ``settings``; a one-line error when an external ``NEO4J_URI`` is set
    (``doing`` names what needs the managed server and how to do without it)."""
    if not settings.managed:
        raise ConfigError(f"NEO4J_URI is set ({settings.uri}): kgtool does not manage that server"
                          f"{'; ' + doing if doing else ''}; unset NEO4J_URI to use the managed one")
    return ManagedNeo4j(ServerConfig(home=settings.home, bolt_port=settings.bolt_port,
                                     http_port=settings.http_port, heap=settings.heap, pagecache=settings.pagecache))
