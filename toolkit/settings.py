"""Settings, resolved once: flags > environment > config file > defaults.

Environment: ``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE`` (an external
server or Aura), and ``KGTOOL_HOME``, ``KGTOOL_BOLT_PORT``, ``KGTOOL_HTTP_PORT``,
``KGTOOL_CONFIG``. Without ``NEO4J_URI`` kgtool uses its managed server in ``KGTOOL_HOME``.

Memory of the managed server: ``KGTOOL_HEAP`` (JVM heap, ``-Xms``/``-Xmx``) and
``KGTOOL_PAGECACHE`` (``server.memory.pagecache.size``), JVM sizes such as ``4g`` or ``512m``
(also ``heap``/``pagecache`` in the config file). By default both come from the machine's memory
(the smaller of the physical RAM and a cgroup limit, see :func:`machine_memory`): the heap is 25 %
of it clamped to 1g..8g, the page cache 25 % clamped to 512m..8g (:func:`memory_defaults`; 24 GiB
of RAM gives 6g and 6g, 4 GiB gives 1g and 1g). The heap holds query state (an export reads the
signatures page by page, so it no longer grows with the graph); the page cache holds the store
files (a 200k-signature graph is about 2 GB on disk). They apply when the server (re)starts.
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

_MB = 2**20
HEAP_FRACTION, HEAP_MIN_MB, HEAP_MAX_MB = 0.25, 1024, 8192
PAGECACHE_FRACTION, PAGECACHE_MIN_MB, PAGECACHE_MAX_MB = 0.25, 512, 8192


def machine_memory() -> Optional[int]:
    """Bytes of memory this process may use: physical RAM, or a smaller cgroup (v2 or v1) limit;
    None when it cannot be read."""
    total: Optional[int] = None
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal:"):
                    total = int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and (total is None or 0 < int(text) < total):
            total = int(text)
    return total if total and total > 0 else None


def memory_defaults(total_bytes: Optional[int] = -1) -> tuple[str, str]:
    """The managed server's default (heap, page cache) for ``total_bytes`` of memory (default: this
    machine's, :func:`machine_memory`): 25 % each, the heap clamped to 1g..8g and the page cache to
    512m..8g, as JVM sizes in megabytes. Unknown memory gives the minimums."""
    if total_bytes == -1:
        total_bytes = machine_memory()
    if not total_bytes:
        return f"{HEAP_MIN_MB}m", f"{PAGECACHE_MIN_MB}m"
    total_mb = total_bytes // _MB
    heap = min(max(int(total_mb * HEAP_FRACTION), HEAP_MIN_MB), HEAP_MAX_MB)
    pagecache = min(max(int(total_mb * PAGECACHE_FRACTION), PAGECACHE_MIN_MB), PAGECACHE_MAX_MB)
    return f"{heap}m", f"{pagecache}m"


@dataclass(frozen=True)
class Settings:
    home: Path = DEFAULT_HOME
    uri: Optional[str] = None  # None: the managed server
    username: str = "neo4j"
    password: Optional[str] = field(default=None, repr=False)
    database: str = "neo4j"
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = field(default_factory=lambda: memory_defaults()[0])
    pagecache: str = field(default_factory=lambda: memory_defaults()[1])

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
