"""Find the ``java`` executable for the managed Neo4j and check that it is new enough."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import JavaError

logger = logging.getLogger(__name__)

MIN_JAVA_MAJOR = 17
INSTALL_HINT = "install openjdk-17-jre-headless (or any Java 17+) or set JAVA_HOME to a Java 17+ installation"

_VERSION_RE = re.compile(r'version\s+"([^"]+)"')


@dataclass(frozen=True)
class JavaRuntime:
    """A checked Java runtime: the executable and its version string (e.g. ``"17.0.15"``)."""

    path: Path
    version: str

    @property
    def major(self) -> int:
        return java_major(self.version)


def find_java() -> Path:
    """``$JAVA_HOME/bin/java`` when JAVA_HOME is set, else ``java`` on PATH; JavaError if neither."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
        raise JavaError(
            f"JAVA_HOME={java_home} has no executable bin/java; the managed Neo4j needs Java {MIN_JAVA_MAJOR} "
            f"or newer: point JAVA_HOME at a Java {MIN_JAVA_MAJOR}+ installation or unset it to use java on PATH"
        )
    found = shutil.which("java")
    if found is None:
        raise JavaError(
            f"java was not found (JAVA_HOME is unset and no java on PATH); the managed Neo4j needs "
            f"Java {MIN_JAVA_MAJOR} or newer: {INSTALL_HINT}"
        )
    return Path(found)


def java_major(version: str) -> int:
    """The major version of a ``java -version`` string: ``"1.8.0_292"`` -> 8, ``"17.0.15"`` -> 17."""
    parts = re.split(r"[.+_-]", version)
    try:
        first = int(parts[0])
        return int(parts[1]) if first == 1 and len(parts) > 1 else first
    except ValueError as exc:
        raise JavaError(f"cannot read the Java version from {version!r}; {INSTALL_HINT}") from exc


def parse_java_version(output: str) -> str | None:
    """The quoted version in ``java -version`` output (``openjdk version "17.0.15" 2025-04-15``)."""
    match = _VERSION_RE.search(output)
    return match.group(1) if match else None


def check_java() -> JavaRuntime:
    """Locate java and make sure it is at least Java 17; JavaError with the fix otherwise."""
    path = find_java()
    try:
        proc = subprocess.run(
            [str(path), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JavaError(f"could not run {path} -version ({exc}); {INSTALL_HINT}") from exc
    version = parse_java_version(proc.stderr + "\n" + proc.stdout)
    if version is None:
        raise JavaError(f"{path} -version printed no version (exit {proc.returncode}); {INSTALL_HINT}")
    major = java_major(version)
    if major < MIN_JAVA_MAJOR:
        raise JavaError(
            f"the managed Neo4j needs Java {MIN_JAVA_MAJOR} or newer; found {major} ({version}) at {path}; "
            f"{INSTALL_HINT}"
        )
    logger.debug("using Java %s at %s", version, path)
    return JavaRuntime(path=path, version=version)
