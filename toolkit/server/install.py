"""Assemble a Neo4j Community home from Maven Central jars and write its configuration files."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path
from string import Template
from typing import Callable

from toolkit.errors import MavenError

logger = logging.getLogger(__name__)

MARKER_NAME = ".kgtool-installed"
HOME_DIRS = ("conf", "data", "logs", "plugins", "import", "run")
LOG_CONFIGS = ("server-logs.xml", "user-logs.xml")
MAVEN_TIMEOUT_S = 3600.0
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

Progress = Callable[[str], None]


def template(name: str) -> str:
    """The text of a packaged template file (``toolkit/server/templates/<name>``)."""
    return resources.files("toolkit.server").joinpath("templates", name).read_text(encoding="utf-8")


def render_pom(neo4j_version: str, browser_version: str) -> str:
    return Template(template("pom.xml")).substitute(neo4j_version=neo4j_version, browser_version=browser_version)


def render_conf(bolt_port: int, http_port: int, heap: str, pagecache: str) -> str:
    return Template(template("neo4j.conf")).substitute(
        bolt_port=bolt_port, http_port=http_port, heap=heap, pagecache=pagecache
    )


def marker_text(neo4j_version: str, browser_version: str) -> str:
    return f"neo4j={neo4j_version}\nneo4j-browser={browser_version}\n"


def is_installed(neo4j_home: Path, neo4j_version: str, browser_version: str) -> bool:
    """True when a complete copy of exactly these versions is in ``neo4j_home/lib``."""
    marker = neo4j_home / MARKER_NAME
    try:
        return marker.read_text(encoding="utf-8") == marker_text(neo4j_version, browser_version)
    except OSError:
        return False


def expected_jars(neo4j_version: str, browser_version: str) -> tuple[str, ...]:
    return (
        f"neo4j-{neo4j_version}.jar",
        f"neo4j-server-{neo4j_version}.jar",
        f"neo4j-import-tool-{neo4j_version}.jar",
        f"neo4j-browser-{browser_version}.jar",
    )


def write_conf(neo4j_home: Path, conf_text: str) -> None:
    """Write ``conf/neo4j.conf`` and the two log4j2 files, creating the home's directories."""
    for name in HOME_DIRS:
        (neo4j_home / name).mkdir(parents=True, exist_ok=True)
    conf_dir = neo4j_home / "conf"
    (conf_dir / "neo4j.conf").write_text(conf_text, encoding="utf-8")
    for name in LOG_CONFIGS:
        (conf_dir / name).write_text(template(name), encoding="utf-8")


def _mvn_failure_line(output: str) -> str:
    """The most telling line of a failed mvn run, squeezed onto one line."""
    lines = [_ANSI.sub("", line).strip() for line in output.splitlines()]
    lines = [line for line in lines if line]
    errors = [line for line in lines if line.startswith("[ERROR]") and len(line) > len("[ERROR]") + 1]
    chosen = errors[0] if errors else (lines[-1] if lines else "no output")
    chosen = chosen.removeprefix("[ERROR]").removesuffix("-> [Help 1]").strip()
    return chosen if len(chosen) <= 300 else chosen[:297] + "..."


def fetch_jars(
    neo4j_home: Path,
    neo4j_version: str,
    browser_version: str,
    maven_args: tuple[str, ...] = (),
    progress: Progress | None = None,
) -> int:
    """Copy the server's runtime jars into ``neo4j_home/lib`` with Maven; returns the jar count.

    The jars go to a scratch folder first and replace ``lib`` only once Maven succeeded, and the
    install marker is written last, so an interrupted or failed run is redone next time.
    """
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MavenError(
            "mvn (Apache Maven) was not found on PATH; it is needed once to fetch the Neo4j jars "
            "from Maven Central: install maven (e.g. apt-get install maven) and retry"
        )
    neo4j_home.mkdir(parents=True, exist_ok=True)
    (neo4j_home / MARKER_NAME).unlink(missing_ok=True)
    pom = neo4j_home / "kgtool-pom.xml"
    pom.write_text(render_pom(neo4j_version, browser_version), encoding="utf-8")
    scratch = Path(tempfile.mkdtemp(prefix=".lib-partial-", dir=neo4j_home))
    try:
        cmd = [
            mvn, "-q", "-B", *maven_args, "-f", str(pom),
            "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={scratch}",
        ]
        if progress:
            progress(f"fetching Neo4j {neo4j_version} jars with Maven (about 140 MB on the first run)")
        logger.info("running %s", " ".join(cmd))
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=MAVEN_TIMEOUT_S, check=False, cwd=neo4j_home
            )
        except subprocess.TimeoutExpired as exc:
            raise MavenError(
                f"Maven did not finish fetching the Neo4j jars within {MAVEN_TIMEOUT_S:.0f} s; check that "
                "Maven Central (repo.maven.apache.org) or your mirror is reachable and retry"
            ) from exc
        if proc.returncode != 0:
            logger.debug("mvn output:\n%s%s", proc.stdout, proc.stderr)
            raise MavenError(
                f"Maven could not fetch Neo4j {neo4j_version} from Maven Central "
                f"({_mvn_failure_line(proc.stdout + chr(10) + proc.stderr)}); check network or proxy access "
                "to repo.maven.apache.org and the mirrors in ~/.m2/settings.xml, then retry"
            )
        missing = [name for name in expected_jars(neo4j_version, browser_version) if not (scratch / name).is_file()]
        if missing:
            raise MavenError(
                f"Maven finished but did not copy {', '.join(missing)}; check that version {neo4j_version} "
                f"(browser {browser_version}) exists on Maven Central and retry"
            )
        count = sum(1 for _ in scratch.glob("*.jar"))
        lib = neo4j_home / "lib"
        if lib.exists():
            shutil.rmtree(lib)
        scratch.rename(lib)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    (neo4j_home / MARKER_NAME).write_text(marker_text(neo4j_version, browser_version), encoding="utf-8")
    if progress:
        progress(f"installed {count} jars into {lib}")
    logger.info("installed %d Neo4j jars into %s", count, lib)
    return count
