"""Is a starting server up yet, and if not, why: the bolt and HTTP probes, and the log line to report.

:func:`bolt_ready` and :func:`http_ok` answer True once the server serves; a rejected password is an
error, not a "not yet". :func:`log_line_since` picks the line of the server's logs written since
the launch that best explains a failed start (see :func:`last_meaningful_line`).
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.request
from pathlib import Path

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError

from toolkit.errors import ServerError

__all__ = ["NEO4J_USER", "bolt_ready", "http_ok", "last_meaningful_line", "log_line_since"]

logger = logging.getLogger(__name__)

NEO4J_USER = "neo4j"

_NOISE_PREFIXES = (
    "WARNING:", "at ", "...", "Picked up ",
    "Error: Could not create the Java Virtual Machine", "Error: A fatal exception has occurred",
    "Error occurred during initialization of VM",
)
_ERROR_MARKERS = ("ERROR", "Error", "Exception", "Caused by", "Invalid", "FATAL")


def bolt_ready(bolt_uri: str, password: str, password_file: Path, data_dir: Path) -> bool:
    """True when bolt accepts ``password``; ServerError (naming the password file) when it rejects it."""
    try:
        with GraphDatabase.driver(bolt_uri, auth=(NEO4J_USER, password), connection_timeout=2.0) as driver:
            driver.verify_connectivity()
    except AuthError as exc:
        raise ServerError(
            f"Neo4j at {bolt_uri} rejected the password in {password_file} ({exc.code}); "
            f"restore the original password file or wipe {data_dir} and start again"
        ) from exc
    except (DriverError, Neo4jError, OSError) as exc:
        logger.debug("bolt not ready yet: %s", exc)
        return False
    return True


def http_ok(url: str) -> bool:
    """True when ``url`` answers 200 (asked directly, never via a proxy)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=2.0) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError) as exc:
        logger.debug("http not ready yet: %s", exc)
        return False


def log_line_since(paths: tuple[Path, ...], offsets: dict[Path, int]) -> str | None:
    """The :func:`last_meaningful_line` of what ``paths`` gained after their byte ``offsets``."""
    text = ""
    for path in paths:
        try:
            with open(path, "rb") as handle:
                handle.seek(offsets.get(path, 0))
                text += handle.read().decode("utf-8", errors="replace") + "\n"
        except OSError:
            continue
    return last_meaningful_line(text)


def last_meaningful_line(text: str) -> str | None:
    """The last error-looking log line (else the last ordinary one), squeezed to one short line."""
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith(_NOISE_PREFIXES)]
    if not lines:
        return None
    errors = [line for line in lines if any(marker in line for marker in _ERROR_MARKERS)]
    # A Java stack trace's headline says more than its innermost "Caused by: NumberFormatException".
    headlines = [line for line in errors if not line.startswith("Caused by")]
    chosen = (headlines or errors or lines)[-1]
    chosen = re.sub(r'^Exception in thread "[^"]*" ', "", chosen)
    return chosen if len(chosen) <= 400 else chosen[:397] + "..."
