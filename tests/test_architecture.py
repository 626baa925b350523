"""The architecture rules of ``docs/architecture.md``, checked on the source (``ast``, nothing imported).

Every module of ``toolkit/`` and ``plugins/kgtool_plugins/`` is parsed; each import (at the top,
inside functions, under ``TYPE_CHECKING``) is an arrow from the importing module to the module it
names. The checks:

* no upward arrow: a module imports only its own layer or lower ones (:data:`TOOLKIT_LAYERS`);
  built-in plugins reach only as high into ``toolkit`` as :data:`PLUGIN_REACH` allows, ``toolkit``
  never imports ``kgtool_plugins``, and the plugin families do not import one another;
* no import cycle between modules (strongly connected components of the arrows);
* only ``toolkit/graph/db.py`` opens driver sessions (everything else runs stored statements
  through :class:`~toolkit.graph.db.Graph`), and tests do not import ``bench``;
* no ``.py`` file in ``toolkit/`` or ``plugins/`` over :data:`MAX_LINES` lines unless the first
  lines of its module docstring say it is "kept in one file" and why.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

from tests.helpers import REPO

# Low -> high. A toolkit module belongs to the longest entry that is its name or a dotted prefix of
# it; the bare "toolkit" entry is only toolkit/__init__.py. A new top-level module needs an entry.
TOOLKIT_LAYERS: dict[int, tuple[str, ...]] = {
    0: ("toolkit", "toolkit.errors", "toolkit.settings", "toolkit.names", "toolkit.schema", "toolkit.progress"),
    1: ("toolkit.cypher", "toolkit.server", "toolkit.fetch"),
    2: ("toolkit.graph",),
    3: ("toolkit.sources", "toolkit.models", "toolkit.tasks", "toolkit.consensus", "toolkit.runs",
        "toolkit.queries", "toolkit.plugins", "toolkit.hookspecs", "toolkit.structure", "toolkit.browser"),
    4: ("toolkit.load", "toolkit.train", "toolkit.expression"),
    5: ("toolkit.explain", "toolkit.anchors"),
    6: ("toolkit.demo",),
    7: ("toolkit.cli",),
}
# The highest toolkit layer each built-in plugin family may import.
PLUGIN_REACH: dict[str, int] = {
    "kgtool_plugins": 0,  # the package's own __init__
    "kgtool_plugins.sources": 3,
    "kgtool_plugins.models": 4,
    "kgtool_plugins.explainers": 5,
    "kgtool_plugins.acquisitions": 5,
}
# Arrows the layers would allow but the design does not: (importer unit, imported unit) -> why.
FORBIDDEN: dict[tuple[str, str], str] = {
    ("toolkit.graph", "toolkit.server"): "graph talks to the Neo4j driver only (server control is toolkit.server's)",
}
ROOTS = {"toolkit": REPO / "toolkit", "kgtool_plugins": REPO / "plugins" / "kgtool_plugins"}
SIZE_CHECKED = (REPO / "toolkit", REPO / "plugins")
MAX_LINES = 450
KEPT_WHOLE = "kept in one file"


@dataclass(frozen=True)
class Arrow:
    """``source`` imports ``target`` (both module names) at ``line`` of ``source``'s file."""

    source: str
    target: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({module_path(self.source)}:{self.line})"


def _python_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path


@lru_cache(maxsize=None)
def modules() -> dict[str, Path]:
    """Module name -> file, for every module of the checked packages."""
    found = {}
    for package, root in ROOTS.items():
        for path in _python_files(root):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def module_path(name: str) -> str:
    return modules()[name].relative_to(REPO).as_posix()


def _is_package(name: str) -> bool:
    return modules()[name].name == "__init__.py"


def _resolve(name: str) -> Optional[str]:
    """The checked module ``name`` means: itself, or the nearest enclosing checked package."""
    while name:
        if name in modules():
            return name
        name = name.rpartition(".")[0]
    return None


def _base(module: str, level: int, named: Optional[str]) -> str:
    """The absolute module a (possibly relative) ``from … import`` names."""
    if level == 0:
        return named or ""
    package = module if _is_package(module) else module.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return f"{package}.{named}" if named else package


@lru_cache(maxsize=None)
def arrows() -> tuple[Arrow, ...]:
    """Every import of every checked module that names a checked module."""
    found = []
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _base(module, node.level, node.module)
                # `from package import submodule` names the submodule, other names the package
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base
                           for alias in node.names]
            for target in targets:
                resolved = _resolve(target)
                if resolved is not None and resolved != module:
                    found.append(Arrow(module, resolved, node.lineno))
    return tuple(sorted(set(found), key=lambda a: (a.source, a.target, a.line)))


def toolkit_layer(module: str) -> Optional[int]:
    """The layer of a toolkit module (None when the table has no entry for it)."""
    best: Optional[tuple[int, int]] = None  # (length of the matching entry, layer)
    for layer, entries in TOOLKIT_LAYERS.items():
        for entry in entries:
            matches = module == entry or (entry != "toolkit" and module.startswith(entry + "."))
            if matches and (best is None or len(entry) > best[0]):
                best = (len(entry), layer)
    return None if best is None else best[1]


def _within(module: str, unit: str) -> bool:
    return module == unit or module.startswith(unit + ".")


def plugin_family(module: str) -> str:
    """The :data:`PLUGIN_REACH` entry a kgtool_plugins module belongs to."""
    parts = module.split(".")
    return ".".join(parts[:2]) if ".".join(parts[:2]) in PLUGIN_REACH else parts[0]


def test_every_module_is_found_and_parsed() -> None:
    assert "toolkit.graph.db" in modules() and "kgtool_plugins.models" in modules()
    assert any(a.source == "toolkit.graph.db" and a.target == "toolkit.cypher" for a in arrows())


def test_every_toolkit_module_has_a_layer() -> None:
    missing = sorted(m for m in modules() if m.split(".")[0] == "toolkit" and toolkit_layer(m) is None)
    assert not missing, ("modules with no layer in TOOLKIT_LAYERS (tests/test_architecture.py and "
                         "docs/architecture.md): " + ", ".join(f"{m} ({module_path(m)})" for m in missing))


def test_every_plugin_family_is_known() -> None:
    unknown = sorted(m for m in modules() if m.startswith("kgtool_plugins.") and plugin_family(m) == "kgtool_plugins")
    assert not unknown, ("kgtool_plugins modules outside sources/, models/ and explainers/ (add the family "
                         "to PLUGIN_REACH): " + ", ".join(unknown))


def _upward(arrow: Arrow) -> Optional[str]:
    """Why ``arrow`` breaks the layering, or None."""
    source_root, target_root = arrow.source.split(".")[0], arrow.target.split(".")[0]
    if source_root == "toolkit":
        if target_root != "toolkit":
            return "toolkit never imports kgtool_plugins"
        for (importer, imported), why in FORBIDDEN.items():
            if _within(arrow.source, importer) and _within(arrow.target, imported):
                return why
        source, target = toolkit_layer(arrow.source), toolkit_layer(arrow.target)
        if source is not None and target is not None and target > source:
            return f"layer {source} imports layer {target}"
        return None
    family = plugin_family(arrow.source)
    if target_root == "toolkit":
        target = toolkit_layer(arrow.target)
        if target is not None and target > PLUGIN_REACH[family]:
            return f"{family} may import toolkit layers 0-{PLUGIN_REACH[family]}, not layer {target}"
        return None
    other = plugin_family(arrow.target)
    if other != family and other != "kgtool_plugins":
        return f"{family} imports another plugin family, {other}"
    return None


def test_no_module_imports_a_higher_layer() -> None:
    wrong = [f"{arrow}: {why}" for arrow in arrows() if (why := _upward(arrow)) is not None]
    assert not wrong, "upward or sideways imports:\n  " + "\n  ".join(wrong)


def strongly_connected(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted, components of one node
    without a self-loop left out."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    found.append(sorted(component))
    return found


def test_strongly_connected_finds_cycles_and_only_cycles() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert sorted(strongly_connected(list("abcde"), edges)) == [["a", "b", "c"], ["e"]]
    assert strongly_connected(["x", "y"], {"x": {"y"}}) == []


def test_no_import_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for arrow in arrows():
        edges.setdefault(arrow.source, set()).add(arrow.target)
    cycles = strongly_connected(sorted(modules()), edges)
    described = []
    for component in cycles:
        members = set(component)
        inner = [str(a) for a in arrows() if a.source in members and a.target in members]
        described.append(f"{', '.join(component)}:\n    " + "\n    ".join(inner))
    assert not cycles, "import cycles (modules that import each other, directly or around a loop):\n  " + \
        "\n  ".join(described)


# Driver access that only toolkit/graph/db.py may use: everything else runs stored statements
# (cypher/**) through Graph's methods, which check their parameters.
DRIVER_ATTRIBUTES = frozenset({"_driver", "session", "execute_read", "execute_write"})
GRAPH_MODULE = REPO / "toolkit" / "graph" / "db.py"


def test_only_the_graph_module_touches_the_driver() -> None:
    found = []
    for root in (REPO / "toolkit", REPO / "plugins", REPO / "bench"):
        for path in _python_files(root):
            if path == GRAPH_MODULE:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Attribute) and node.attr in DRIVER_ATTRIBUTES:
                    found.append(f"{path.relative_to(REPO).as_posix()}:{node.lineno}: .{node.attr}")
    assert not found, ("driver sessions outside toolkit/graph/db.py (run a stored statement through a Graph "
                       "method instead):\n  " + "\n  ".join(found))


def test_tests_do_not_import_bench() -> None:
    found = []
    for path in _python_files(REPO / "tests"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            found += [f"{path.relative_to(REPO).as_posix()}:{node.lineno}: {name}" for name in names
                      if name == "bench" or name.startswith("bench.")]
    assert not found, "tests import from bench/ (move what they share into toolkit or tests):\n  " + "\n  ".join(found)


def _docstring_lines(path: Path) -> list[str]:
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except SyntaxError:
        return []
    return doc.splitlines()[:3]


def kept_whole_reason(path: Path) -> Optional[str]:
    """The reason the first lines of ``path``'s docstring give for keeping it in one file, or None."""
    head = " ".join(_docstring_lines(path))
    where = head.lower().find(KEPT_WHOLE)
    if where < 0:
        return None
    reason = head[where + len(KEPT_WHOLE):].strip(" :;,.-–—")
    return reason if len(reason.split()) >= 3 else None


def test_no_file_is_too_long() -> None:
    long = []
    for root in SIZE_CHECKED:
        for path in _python_files(root):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES and kept_whole_reason(path) is None:
                long.append(f"{path.relative_to(REPO).as_posix()}: {lines} lines")
    assert not long, (f"files over {MAX_LINES} lines (split them, or say in the first lines of the module "
                      f"docstring why they are {KEPT_WHOLE}):\n  " + "\n  ".join(long))


def test_the_kept_whole_note_needs_a_reason(tmp_path: Path) -> None:
    with_reason = tmp_path / "a.py"
    with_reason.write_text('"""The parser, kept in one file: its states share one lookup table."""\n')
    without = tmp_path / "b.py"
    without.write_text('"""The parser, kept in one file."""\n')
    assert kept_whole_reason(with_reason) == "its states share one lookup table"
    assert kept_whole_reason(without) is None


def test_the_layer_rules_themselves() -> None:
    assert toolkit_layer("toolkit") == 0 and toolkit_layer("toolkit.graph.db") == 2
    assert toolkit_layer("toolkit.cli.train") == 7 and toolkit_layer("toolkit.nowhere") is None
    assert _upward(Arrow("toolkit.graph.bulk", "toolkit.server.manager", 1)) == FORBIDDEN[("toolkit.graph", "toolkit.server")]
    assert _upward(Arrow("toolkit.load.bulk.admin", "toolkit.server.manager", 1)) is None
    assert _upward(Arrow("toolkit.train.export", "toolkit.graph.db", 1)) is None
    assert _upward(Arrow("toolkit.explain.pipeline", "toolkit.demo", 1)) == "layer 5 imports layer 6"
    assert _upward(Arrow("toolkit.plugins", "kgtool_plugins.models", 1)) == "toolkit never imports kgtool_plugins"
    assert _upward(Arrow("kgtool_plugins.sources.string", "toolkit.load", 1)) is not None
    assert _upward(Arrow("kgtool_plugins.models.mlp", "toolkit.train.torch_model", 1)) is None
    assert _upward(Arrow("kgtool_plugins.models.multimodal", "kgtool_plugins.explainers._captum", 1)) is not None
