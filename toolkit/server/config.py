"""What the managed server is: its configuration (home, ports, memory, versions) and a status snapshot.

Plain frozen dataclasses, checked on construction; :class:`toolkit.server.manager.ManagedNeo4j`
runs a server from a :class:`ServerConfig` and reports a :class:`ServerStatus`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from toolkit.errors import ConfigError
from toolkit.settings import memory_defaults

__all__ = ["ServerConfig", "ServerStatus"]

_JVM_SIZE = re.compile(r"[1-9][0-9]*[kKmMgGtT]?")


@dataclass(frozen=True)
class ServerConfig:
    """Where and how the managed server runs. Neo4j lives in ``home/neo4j/neo4j-community-<version>``."""

    home: Path
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = field(default_factory=lambda: memory_defaults()[0])  # see toolkit.settings
    pagecache: str = field(default_factory=lambda: memory_defaults()[1])
    version: str = "5.26.30"
    browser_version: str = "5.24.0"
    maven_args: tuple[str, ...] = ()  # extra mvn arguments, e.g. ("-s", "settings.xml")

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).expanduser().absolute())
        for name in ("bolt_port", "http_port"):
            port = getattr(self, name)
            if not isinstance(port, int) or not 1 <= port <= 65535:
                raise ConfigError(f"{name}={port!r} is not a TCP port; use a number between 1 and 65535")
        if not _JVM_SIZE.fullmatch(self.heap):
            raise ConfigError(f"heap={self.heap!r} is not a JVM memory size; use a number with k, m or g, e.g. 1g")
        if self.bolt_port == self.http_port:
            raise ConfigError(
                f"bolt and http ports are both {self.bolt_port}; set KGTOOL_BOLT_PORT and KGTOOL_HTTP_PORT "
                "to two different ports"
            )


@dataclass(frozen=True)
class ServerStatus:
    """A snapshot of the managed server."""

    running: bool
    pid: int | None
    installed: bool
    neo4j_home: Path
    data_dir: Path
    bolt_uri: str
    browser_url: str
    version: str
    java_version: str | None
