"""The managed Neo4j against a real server assembled from Maven Central jars (no mocks of Neo4j).

One kgtool home is installed once per module and shared; tests bring it to the state they need
(``running`` / ``stopped`` fixtures). Ports are picked free so a Neo4j on 7687/7474 is not disturbed.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import time
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from toolkit.errors import ConfigError, JavaError, MavenError, PortInUseError, ServerError
from toolkit.server import ManagedNeo4j, ServerConfig
from toolkit.server.install import MARKER_NAME

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str) -> tuple[int, str]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8", errors="replace")


def run_cypher(neo: ManagedNeo4j, query: str, **params: object) -> list[dict[str, object]]:
    with GraphDatabase.driver(neo.bolt_uri, auth=("neo4j", neo.password())) as driver:
        records, _, _ = driver.execute_query(query, params, database_="neo4j")
    return [record.data() for record in records]


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(exc.value)
    assert message and "\n" not in message
    return message


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> ServerConfig:
    bolt = free_port()
    http = free_port()
    while http == bolt:
        http = free_port()
    home = tmp_path_factory.mktemp("kgtool-home")
    return ServerConfig(home=home, bolt_port=bolt, http_port=http, heap="512m", pagecache="64m")


@pytest.fixture(scope="module")
def neo(config: ServerConfig) -> Iterator[ManagedNeo4j]:
    manager = ManagedNeo4j(config)
    messages: list[str] = []
    try:
        assert manager.install(messages.append) is True
        assert messages, "install reports progress"
        yield manager
    finally:
        manager.stop(timeout=30)


@pytest.fixture
def running(neo: ManagedNeo4j) -> ManagedNeo4j:
    neo.start(timeout=120)
    return neo


@pytest.fixture
def stopped(neo: ManagedNeo4j) -> ManagedNeo4j:
    neo.stop(timeout=30)
    return neo


# -- configuration and installation ------------------------------------------------------------


def test_config_rejects_clashing_ports_and_bad_heap(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        ServerConfig(home=tmp_path, bolt_port=7000, http_port=7000)
    assert "7000" in one_line(exc)
    with pytest.raises(ConfigError) as exc:
        ServerConfig(home=tmp_path, heap="lots")
    assert "heap" in one_line(exc)


def test_install_is_idempotent(neo: ManagedNeo4j) -> None:
    assert neo.is_installed()
    assert (neo.neo4j_home / MARKER_NAME).is_file()
    assert len(list((neo.neo4j_home / "lib").glob("*.jar"))) > 100
    started = time.monotonic()
    assert neo.install() is False
    assert time.monotonic() - started < 1.0
    assert not list(neo.neo4j_home.glob(".lib-partial-*"))


def test_password_is_stable_and_private(neo: ManagedNeo4j) -> None:
    first = neo.password()
    assert len(first) >= 20
    assert neo.password() == first
    assert stat.S_IMODE(neo.password_file.stat().st_mode) == 0o600


def test_a_generated_password_never_reads_as_an_option(tmp_path, monkeypatch) -> None:
    import secrets

    monkeypatch.setattr(secrets, "token_urlsafe", lambda n: "-8Dverbose")  # 1 in 64 real tokens start with "-"
    fresh = ManagedNeo4j(ServerConfig(home=tmp_path / "fresh"))
    assert not fresh.password().startswith("-")


def test_admin_command_runs_neo4j_admin(neo: ManagedNeo4j) -> None:
    argv = neo.admin_command("--version")
    env = neo.admin_env()
    assert env["NEO4J_HOME"] == str(neo.neo4j_home)
    assert env["NEO4J_CONF"] == str(neo.neo4j_home / "conf")
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert neo.config.version in proc.stdout


# -- a running server --------------------------------------------------------------------------


def test_start_serves_bolt_and_browser(running: ManagedNeo4j) -> None:
    status = running.status()
    assert status.running and status.pid is not None and status.installed
    assert status.bolt_uri == f"bolt://127.0.0.1:{running.config.bolt_port}"
    assert status.browser_url == f"http://127.0.0.1:{running.config.http_port}/browser/"
    assert status.java_version is not None and int(status.java_version.split(".")[0]) >= 17
    assert run_cypher(running, "RETURN 1 AS one") == [{"one": 1}]
    code, html = http_get(running.browser_url)
    assert code == 200
    assert "Neo4j" in html and "browser" in html.lower()
    # the discovery document must advertise our Bolt port, or Neo4j Browser would dial 7687
    _, discovery = http_get(f"http://127.0.0.1:{running.config.http_port}/")
    assert json.loads(discovery)["bolt_direct"] == running.bolt_uri


def test_start_while_running_is_a_noop(running: ManagedNeo4j) -> None:
    pid = running.status().pid
    started = time.monotonic()
    assert running.start().pid == pid
    assert ManagedNeo4j(running.config).start().pid == pid  # a second manager finds it via the pid file
    assert time.monotonic() - started < 5.0


def test_wrong_password_is_rejected(running: ManagedNeo4j) -> None:
    with GraphDatabase.driver(running.bolt_uri, auth=("neo4j", "not-the-password")) as driver:
        with pytest.raises(AuthError):
            driver.verify_connectivity()


def test_restart_keeps_data(running: ManagedNeo4j) -> None:
    tag = uuid.uuid4().hex
    run_cypher(running, "CREATE (:KgtoolTest {tag: $tag})", tag=tag)
    assert ManagedNeo4j(running.config).stop() is True  # stopping works from another manager too
    status = running.status()
    assert not status.running and status.pid is None
    assert not running.pid_file.exists()
    assert running.stop() is False
    running.start()
    assert run_cypher(running, "MATCH (n:KgtoolTest {tag: $tag}) RETURN count(n) AS n", tag=tag) == [{"n": 1}]


# -- a stopped server --------------------------------------------------------------------------


def test_stale_pid_file_counts_as_not_running(stopped: ManagedNeo4j) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    for pid in (gone.pid, os.getpid()):  # a dead process, and a live one that is not this Neo4j
        stopped.pid_file.write_text(f"{pid}\n")
        assert stopped.status().running is False
        assert stopped.stop() is False
        assert not stopped.pid_file.exists()


@pytest.mark.parametrize("kind", ["bolt", "http"])
def test_port_in_use_is_reported_before_starting(stopped: ManagedNeo4j, kind: str) -> None:
    port = stopped.config.bolt_port if kind == "bolt" else stopped.config.http_port
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore the server's TIME_WAITs
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(PortInUseError) as exc:
            stopped.start()
    message = one_line(exc)
    assert f"port {port} ({kind})" in message
    assert stopped.status().running is False


def test_java_missing(stopped: ManagedNeo4j, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    manager = ManagedNeo4j(stopped.config)
    with pytest.raises(JavaError) as exc:
        manager.check_java()
    assert "Java 17" in one_line(exc)
    with pytest.raises(JavaError):
        manager.start()
    assert manager.status().java_version is None


def test_java_home_without_java(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config: ServerConfig) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    with pytest.raises(JavaError) as exc:
        ManagedNeo4j(config).check_java()
    assert "JAVA_HOME" in one_line(exc) and "Java 17" in str(exc.value)


def test_java_too_old(stopped: ManagedNeo4j, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "java"
    fake.write_text('#!/bin/sh\necho \'openjdk version "11.0.2" 2019-01-15\' >&2\n')
    fake.chmod(0o755)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    manager = ManagedNeo4j(stopped.config)
    with pytest.raises(JavaError) as exc:
        manager.start()
    message = one_line(exc)
    assert "11" in message and "Java 17" in message and str(fake) in message
    assert manager.status().running is False


def test_startup_failure_quotes_the_log(stopped: ManagedNeo4j) -> None:
    broken = ManagedNeo4j(replace(stopped.config, pagecache="lots"))
    with pytest.raises(ServerError) as exc:
        broken.start(timeout=60)
    message = one_line(exc)
    assert "exited during startup" in message
    assert "server.memory.pagecache.size" in message and "lots" in message
    assert broken.status().running is False


# -- Maven --------------------------------------------------------------------------------------


def test_maven_unreachable_leaves_no_half_install(tmp_path: Path) -> None:
    settings = tmp_path / "settings.xml"
    settings.write_text(
        "<settings><mirrors><mirror><id>nowhere</id><mirrorOf>*</mirrorOf>"
        "<url>http://127.0.0.1:9/</url></mirror></mirrors></settings>"
    )
    repo = tmp_path / "empty-repo"
    repo.mkdir()
    config = ServerConfig(
        home=tmp_path / "home", maven_args=("-s", str(settings), f"-Dmaven.repo.local={repo}")
    )
    manager = ManagedNeo4j(config)
    with pytest.raises(MavenError) as exc:
        manager.install()
    assert "Maven Central" in one_line(exc)
    assert not manager.is_installed()
    assert not (manager.neo4j_home / MARKER_NAME).exists()
    assert not (manager.neo4j_home / "lib").exists()
    assert not list(manager.neo4j_home.glob(".lib-partial-*"))


def test_maven_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    manager = ManagedNeo4j(ServerConfig(home=tmp_path / "home"))
    with pytest.raises(MavenError) as exc:
        manager.install()
    assert "mvn" in one_line(exc)
    assert not manager.is_installed()


# -- wipe (last: it throws the data away) --------------------------------------------------------


def test_wipe_data_gives_a_fresh_server(running: ManagedNeo4j) -> None:
    run_cypher(running, "CREATE (:KgtoolTest {tag: 'before-wipe'})")
    with pytest.raises(ServerError) as exc:
        running.wipe_data()
    assert "stop" in one_line(exc)
    old_password = running.password()
    assert running.stop() is True
    running.wipe_data()
    assert not running.data_dir.exists()
    assert not running.password_file.exists()
    running.start()
    assert running.password() != old_password
    assert run_cypher(running, "MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
