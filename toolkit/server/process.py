"""The managed server as an operating-system process: which pid is it, is it alive, stop it, free ports.

The Popen handles of servers started by this Python process are kept here (:func:`register_child`)
so that any :class:`toolkit.server.manager.ManagedNeo4j` can reap them; other pids are checked
through signal 0 and, where there is one, ``/proc`` (alive, not a zombie, running this home's Neo4j).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["is_server_process", "kill_child", "port_free", "register_child", "signal_group", "wait_exit"]

logger = logging.getLogger(__name__)

# Popen handles of servers started by this Python process, so that any ManagedNeo4j can reap them.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


def register_child(proc: subprocess.Popen[bytes]) -> None:
    """Remember a server this process started, so that its exit is reaped (never left a zombie)."""
    _CHILDREN[proc.pid] = proc


def is_server_process(pid: int, neo4j_home: Path) -> bool:
    """Whether ``pid`` is alive (not a zombie) and, where /proc tells, runs the Neo4j of ``neo4j_home``."""
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is not None:
            _CHILDREN.pop(pid, None)
            return False
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    proc_dir = Path("/proc") / str(pid)
    if not proc_dir.is_dir():
        return True
    try:
        state = (proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[0]
        argv = (proc_dir / "cmdline").read_bytes().split(b"\0")
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X") and f"--home-dir={neo4j_home}".encode() in argv


def wait_exit(pid: int, neo4j_home: Path, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the server ``pid`` to be gone; False if it is still there."""
    deadline = time.monotonic() + timeout
    while is_server_process(pid, neo4j_home):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def kill_child(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a server this process started (its whole process group) and reap it."""
    if proc.poll() is None:
        signal_group(proc.pid, signal.SIGKILL)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            logger.error("Neo4j (pid %d) did not exit after SIGKILL", proc.pid)
    _CHILDREN.pop(proc.pid, None)


def signal_group(pid: int, sig: signal.Signals) -> None:
    """Send ``sig`` to the process group ``pid`` leads (else to ``pid`` alone); a gone process is fine."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def port_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:``port`` (TIME_WAIT leftovers do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
