"""A regular (not editable) install works: the wheel carries cypher/ and the browser assets, and
the installed copy lists its queries and plugins. Built offline from a copy of the sources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile

from tests.helpers import REPO

SOURCES = ("pyproject.toml", "README.md", "LICENSE", "cypher", "toolkit", "plugins/kgtool_plugins")


def _run(*args: str, **kwargs) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=180, **kwargs)
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_carries_the_queries_and_an_installed_copy_uses_them(tmp_path):
    src = tmp_path / "src"
    for name in SOURCES:  # a copy, so the build leaves no build/ or egg-info in the checkout
        target = src / name
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target)
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(tmp_path / "dist"), str(src))
    (wheel,) = (tmp_path / "dist").glob("kgtool-*.whl")

    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        cypher_files = sorted((REPO / "cypher").rglob("*.cypher"))
        assert len(cypher_files) > 50
        for path in cypher_files:
            member = "toolkit/_cypher/" + path.relative_to(REPO / "cypher").as_posix()
            assert member in names, f"{member} is not in the wheel"
            assert zf.read(member) == path.read_bytes()
        for asset in ("toolkit/browser/kgtool.grass", "toolkit/browser/guide.md", "toolkit/server/templates/pom.xml"):
            assert asset in names

    site = tmp_path / "site"
    _run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel))
    env = {**os.environ, "PYTHONPATH": str(site), "KGTOOL_HOME": str(tmp_path / "home")}
    env.pop("KGTOOL_PLUGINS", None)
    where = _run(sys.executable, "-c", "import toolkit, toolkit.cypher as c; print(toolkit.__file__); "
                 "print(c.CYPHER_DIR); print(c.CYPHER_DIR.is_symlink())", env=env, cwd=tmp_path).split()
    assert where[0].startswith(str(site)) and where[1] == str(site / "toolkit" / "_cypher") and where[2] == "False"

    kgtool = [sys.executable, str(site / "bin" / "kgtool")]
    listed = _run(*kgtool, "query", "--list", env=env, cwd=tmp_path)
    assert "why_predicted" in listed.splitlines() and "--param run=null" in listed
    plugins = _run(*kgtool, "plugins", env=env, cwd=tmp_path)
    assert "string  (kgtool " in plugins and str(site / "kgtool_plugins") in _run(
        sys.executable, "-c", "import kgtool_plugins; print(kgtool_plugins.__file__)", env=env, cwd=tmp_path)
