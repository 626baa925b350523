"""Install, configure, start and stop a local Neo4j Community server that kgtool manages itself.

:class:`ManagedNeo4j` drives one installation under a kgtool home: its paths and addresses, the
password, the Java command lines, and the start / stop / wipe sequences. The pieces it builds on:
:mod:`toolkit.server.config` (what the server is), :mod:`toolkit.server.install` (jars and
``neo4j.conf``), :mod:`toolkit.server.java` (which Java), :mod:`toolkit.server.process` (pids,
signals, ports) and :mod:`toolkit.server.health` (is it up yet, and if not, why).
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable

from toolkit.errors import JavaError, PortInUseError, ServerError
from toolkit.server import install as _install
from toolkit.server.config import ServerConfig, ServerStatus
from toolkit.server.health import bolt_ready, http_ok, last_meaningful_line, log_line_since
from toolkit.server.java import JavaRuntime, check_java
from toolkit.server.process import is_server_process, kill_child, port_free, register_child, signal_group, wait_exit

__all__ = ["ADMIN_ENTRY_POINT", "ENTRY_POINT", "JVM_OPTIONS", "ManagedNeo4j", "ServerConfig", "ServerStatus"]

logger = logging.getLogger(__name__)

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_ENTRY_POINT = "org.neo4j.server.startup.Neo4jAdminCommand"
POLL_S = 0.5

# Mostly what the stock neo4j launcher adds from server.jvm.additional. The three --add-opens are
# needed on Java 17: without java.nio debug.log warns "Reflection access to java.nio.DirectByteBuffer
# is not available, using fallback mode"; without java.io or sun.nio.ch every transaction log warns
# "Unable to advise ... Error: ErrorCode=-1, errorMessage='Incorrect file descriptor.'".
JVM_OPTIONS: tuple[str, ...] = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
)


class ManagedNeo4j:
    """One Neo4j Community installation under a kgtool home, driven as a child process."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.neo4j_home = config.home / "neo4j" / f"neo4j-community-{config.version}"
        self._java: JavaRuntime | None = None

    # -- paths and addresses ------------------------------------------------------------------

    @property
    def bolt_uri(self) -> str:
        return f"bolt://127.0.0.1:{self.config.bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.config.http_port}/browser/"

    @property
    def data_dir(self) -> Path:
        return self.neo4j_home / "data"

    @property
    def logs_dir(self) -> Path:
        return self.neo4j_home / "logs"

    @property
    def conf_dir(self) -> Path:
        return self.neo4j_home / "conf"

    @property
    def pid_file(self) -> Path:
        return self.neo4j_home / "run" / "neo4j.pid"

    @property
    def password_file(self) -> Path:
        return self.config.home / "neo4j" / "password"

    @property
    def console_log(self) -> Path:
        return self.logs_dir / "console.log"

    # -- credentials and Java -----------------------------------------------------------------

    def password(self) -> str:
        """The ``neo4j`` user's password, generated on first use and kept in a 0600 file."""
        path = self.password_file
        try:
            return path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        value = "k" + secrets.token_urlsafe(24)  # never a leading "-": neo4j-admin would read it as an option
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # created concurrently: use that one
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        logger.info("generated a new Neo4j password in %s", path)
        return value

    def check_java(self) -> str:
        """The version of the Java that will run Neo4j (e.g. ``"17.0.15"``); JavaError if unusable."""
        self._java = check_java()
        return self._java.version

    def _runtime(self) -> JavaRuntime:
        if self._java is None:
            self.check_java()
        assert self._java is not None
        return self._java

    # -- installation -------------------------------------------------------------------------

    def is_installed(self) -> bool:
        return _install.is_installed(self.neo4j_home, self.config.version, self.config.browser_version)

    def install(self, progress: Callable[[str], None] | None = None) -> bool:
        """Fetch the jars unless a complete copy is there; True if anything was downloaded or copied."""
        if self.is_installed():
            return False
        pid = self._running_pid()
        if pid is not None:
            raise ServerError(
                f"Neo4j is running from {self.neo4j_home} (pid {pid}) but its jars are not the configured "
                "versions; stop it first and retry"
            )
        _install.fetch_jars(
            self.neo4j_home, self.config.version, self.config.browser_version, self.config.maven_args, progress
        )
        return True

    def _write_conf(self) -> None:
        cfg = self.config
        conf = _install.render_conf(cfg.bolt_port, cfg.http_port, cfg.heap, cfg.pagecache)
        _install.write_conf(self.neo4j_home, conf)

    # -- commands -----------------------------------------------------------------------------

    def admin_env(self) -> dict[str, str]:
        """The full environment for Neo4j processes: the current one plus NEO4J_HOME, NEO4J_CONF, JAVA_HOME."""
        env = dict(os.environ)
        env["NEO4J_HOME"] = str(self.neo4j_home)
        env["NEO4J_CONF"] = str(self.conf_dir)
        if "JAVA_HOME" not in env:
            env["JAVA_HOME"] = str(self._runtime().path.resolve().parent.parent)
        return env

    def admin_command(self, *args: str) -> list[str]:
        """The argv of ``neo4j-admin <args>`` for this home; run it with ``env=admin_env()``."""
        return [
            str(self._runtime().path), "-cp", f"{self.neo4j_home / 'lib'}/*", ADMIN_ENTRY_POINT, *args,
        ]

    def _server_command(self) -> list[str]:
        classpath = f"{self.neo4j_home / 'plugins'}/*:{self.neo4j_home / 'lib'}/*"
        return [
            str(self._runtime().path), f"-Xms{self.config.heap}", f"-Xmx{self.config.heap}", *JVM_OPTIONS,
            "-cp", classpath, ENTRY_POINT,
            f"--home-dir={self.neo4j_home}", f"--config-dir={self.conf_dir}", "--console-mode",
        ]

    # -- process state ------------------------------------------------------------------------

    def _read_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None

    def _is_our_server(self, pid: int) -> bool:
        """Whether ``pid`` is alive (not a zombie) and, where /proc tells, runs this home's Neo4j."""
        return is_server_process(pid, self.neo4j_home)

    def _running_pid(self) -> int | None:
        pid = self._read_pid()
        return pid if pid is not None and self._is_our_server(pid) else None

    def status(self) -> ServerStatus:
        pid = self._running_pid()
        java_version: str | None
        try:
            java_version = self._runtime().version
        except JavaError:
            java_version = None
        return ServerStatus(
            running=pid is not None, pid=pid, installed=self.is_installed(), neo4j_home=self.neo4j_home,
            data_dir=self.data_dir, bolt_uri=self.bolt_uri, browser_url=self.browser_url,
            version=self.config.version, java_version=java_version,
        )

    # -- start --------------------------------------------------------------------------------

    def start(self, timeout: float = 120, progress: Callable[[str], None] | None = None) -> ServerStatus:
        """Start the server (installing it first if needed) and wait until bolt and the browser answer.

        A no-op returning the status when it already runs. ``progress`` hears about a first install.
        """
        current = self.status()
        if current.running:
            logger.info("Neo4j is already running (pid %s) at %s", current.pid, self.bolt_uri)
            return current
        self.pid_file.unlink(missing_ok=True)
        self.check_java()
        self.install(progress)
        self._check_ports()
        self._write_conf()
        first_start = not (self.data_dir / "databases" / "system").exists()
        if not first_start and not self.password_file.exists():
            raise ServerError(
                f"the Neo4j data in {self.data_dir} was created with a password that is no longer in "
                f"{self.password_file}; restore that file or wipe the data (delete {self.data_dir}) and start again"
            )
        if first_start:
            self._set_initial_password()
        started = time.monotonic()
        proc, offsets = self._launch()
        try:
            self._wait_ready(proc, timeout, offsets)
        except BaseException:
            self._kill(proc)
            raise
        logger.info("Neo4j %s is up at %s after %.1f s (pid %d)", self.config.version, self.bolt_uri,
                    time.monotonic() - started, proc.pid)
        return self.status()

    def _check_ports(self) -> None:
        taken = [
            f"{port} ({kind})"
            for kind, port in (("bolt", self.config.bolt_port), ("http", self.config.http_port))
            if not port_free(port)
        ]
        if taken:
            which = " and ".join(taken)
            verb = "is" if len(taken) == 1 else "are"
            raise PortInUseError(
                f"port {which} {verb} already in use by another process; stop it or set "
                "KGTOOL_BOLT_PORT / KGTOOL_HTTP_PORT to free ports"
            )

    def _set_initial_password(self) -> None:
        cmd = self.admin_command("dbms", "set-initial-password", self.password())
        logger.info("setting the initial Neo4j password (first start of %s)", self.neo4j_home)
        proc = subprocess.run(cmd, env=self.admin_env(), capture_output=True, text=True, timeout=300, check=False)
        if proc.returncode != 0:
            line = last_meaningful_line(proc.stdout + "\n" + proc.stderr) or f"exit status {proc.returncode}"
            raise ServerError(
                f"setting the initial Neo4j password failed: {line}; check {self.conf_dir / 'neo4j.conf'} "
                f"or wipe {self.data_dir} and retry"
            )

    def _log_files(self) -> tuple[Path, ...]:
        return (self.console_log, self.logs_dir / "neo4j.log")

    def _launch(self) -> tuple[subprocess.Popen[bytes], dict[Path, int]]:
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        offsets = {path: path.stat().st_size if path.exists() else 0 for path in self._log_files()}
        cmd = self._server_command()
        logger.info("starting Neo4j: %s", " ".join(cmd))
        with open(self.console_log, "ab") as log:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=self.admin_env(), cwd=self.neo4j_home, start_new_session=True,
            )
        register_child(proc)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.pid_file.write_text(f"{proc.pid}\n", encoding="utf-8")
        return proc, offsets

    def _wait_ready(self, proc: subprocess.Popen[bytes], timeout: float, offsets: dict[Path, int]) -> None:
        deadline = time.monotonic() + timeout
        password = self.password()
        while True:
            code = proc.poll()
            if code is not None:
                line = self._startup_log_line(offsets) or f"exit status {code}"
                raise ServerError(
                    f"Neo4j exited during startup: {line}; see {self.console_log} and {self.logs_dir / 'neo4j.log'}"
                )
            if bolt_ready(self.bolt_uri, password, self.password_file, self.data_dir) and http_ok(self.browser_url):
                return
            if time.monotonic() >= deadline:
                line = self._startup_log_line(offsets) or "no log output"
                raise ServerError(
                    f"Neo4j did not answer on {self.bolt_uri} and {self.browser_url} within {timeout:.0f} s "
                    f"(last log line: {line}); see {self.logs_dir} or start with a longer timeout"
                )
            time.sleep(POLL_S)

    def _startup_log_line(self, offsets: dict[Path, int]) -> str | None:
        return log_line_since(self._log_files(), offsets)

    # -- stop and wipe ------------------------------------------------------------------------

    def stop(self, timeout: float = 60) -> bool:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``); False if it was not running."""
        pid = self._running_pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        logger.info("stopping Neo4j (pid %d)", pid)
        signal_group(pid, signal.SIGTERM)
        if not self._wait_exit(pid, timeout):
            logger.warning("Neo4j (pid %d) did not stop within %.0f s; killing it", pid, timeout)
            signal_group(pid, signal.SIGKILL)
            if not self._wait_exit(pid, 30):
                raise ServerError(f"Neo4j (pid {pid}) survived SIGKILL; kill it by hand (kill -9 {pid}) and retry")
        self.pid_file.unlink(missing_ok=True)
        return True

    def _wait_exit(self, pid: int, timeout: float) -> bool:
        return wait_exit(pid, self.neo4j_home, timeout)

    def _kill(self, proc: subprocess.Popen[bytes]) -> None:
        kill_child(proc)
        self.pid_file.unlink(missing_ok=True)

    def wipe_data(self) -> None:
        """Delete the database files and the password so that the next start is a fresh one."""
        pid = self._running_pid()
        if pid is not None:
            raise ServerError(f"cannot wipe the data of a running Neo4j (pid {pid}); stop the server first and retry")
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.password_file.unlink(missing_ok=True)
        logger.info("wiped %s and the stored password", self.data_dir)

