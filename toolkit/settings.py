"""Settings, resolved once: flags > environment > config file > defaults.

Environment: ``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE`` (an external
server or Aura), and ``KGTOOL_HOME``, ``KGTOOL_BOLT_PORT``, ``KGTOOL_HTTP_PORT``,
``KGTOOL_CONFIG``. Without ``NEO4J_URI`` kgtool uses its managed server in ``KGTOOL_HOME``.
The password is never logged: ``Settings.__repr__`` hides it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping, Optional

from toolkit.errors import ConfigError

DEFAULT_HOME = Path.home() / ".kgtool"


@dataclass(frozen=True)
class Settings:
    home: Path = DEFAULT_HOME
    uri: Optional[str] = None  # None: the managed server
    username: str = "neo4j"
    password: Optional[str] = field(default=None, repr=False)
    database: str = "neo4j"
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = "1g"
    pagecache: str = "512m"

    @property
    def managed(self) -> bool:
        """True when kgtool runs the server itself (no external ``NEO4J_URI``)."""
        return self.uri is None

    @property
    def bolt_uri(self) -> str:
        return self.uri or f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def runs_dir(self) -> Path:
        return self.home / "runs"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"


_ENV = {
    "home": "KGTOOL_HOME",
    "uri": "NEO4J_URI",
    "username": "NEO4J_USERNAME",
    "password": "NEO4J_PASSWORD",
    "database": "NEO4J_DATABASE",
    "bolt_port": "KGTOOL_BOLT_PORT",
    "http_port": "KGTOOL_HTTP_PORT",
    "heap": "KGTOOL_HEAP",
    "pagecache": "KGTOOL_PAGECACHE",
}


def _coerce(name: str, value: Any, origin: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if name == "home":
            return Path(value).expanduser()
        if kind == "int":
            return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{origin}: setting {name!r} must be {kind}, got {value!r}; fix the value") from None
    return str(value)


def resolve(flags: Optional[Mapping[str, Any]] = None, env: Optional[Mapping[str, str]] = None) -> Settings:
    """Resolve settings from flags, the environment and the optional JSON config file."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    config_path = env.get("KGTOOL_CONFIG")
    if config_path:
        path = Path(config_path)
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: cannot read the config file ({exc}); fix or unset KGTOOL_CONFIG") from None
        unknown = set(data) - set(_ENV)
        if unknown:
            raise ConfigError(f"{path}: unknown settings {sorted(unknown)}; known: {sorted(_ENV)}")
        values.update({k: _coerce(k, v, str(path)) for k, v in data.items()})
    for name, var in _ENV.items():
        if env.get(var):
            values[name] = _coerce(name, env[var], var)
    for name, value in (flags or {}).items():
        if value is not None:
            values[name] = _coerce(name, value, f"--{name}")
    return replace(Settings(), **values)
