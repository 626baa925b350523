"""Stored Cypher: every statement lives in ``cypher/**/*.cypher``, one statement a file.

A file may start with ``//`` comment lines. Parameters are found in the text (``$name``); a header
line ``// param $name = DEFAULT: what it is`` (DEFAULT in JSON: ``null``, ``10``, ``0.05``,
``"text"``) or ``// param $name: what it is`` (required) declares one for users: user-facing
queries (``cypher/hypotheses``, ``cypher/browser``) declare each of theirs, and
:meth:`Statement.bind` fills the defaults. Templates use ``{label}``-style slots that only
:func:`render` fills, from schema enums (never from input).

The files are package data: the repository's top-level ``cypher/`` reaches the ``toolkit`` package
as ``toolkit/_cypher`` (a relative symlink in the source tree, real files in a wheel), read through
:mod:`importlib.resources`, so editable and regular installs find the same statements.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from toolkit.errors import QueryError
from toolkit.schema import identifier

# toolkit is a regular package installed unpacked, so its resources are files on disk: a Path.
CYPHER_DIR = Path(str(resources.files("toolkit").joinpath("_cypher")))
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_DECLARED = re.compile(r'^//\s*param\s+\$([A-Za-z_][A-Za-z0-9_]*)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^\s:]+)\s*)?:\s*(.*)$')
_SLOT = re.compile(r"\{([a-z_]+)\}")
_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


@dataclass(frozen=True)
class Param:
    """A parameter declared in a statement's header; ``required`` when it has no default."""

    name: str
    description: str
    required: bool
    default: Any = None

    def usage(self) -> str:
        value = "…" if self.required else json.dumps(self.default)
        return f"--param {self.name}={value}"


@dataclass(frozen=True)
class Statement:
    """One stored statement: its name (path below ``cypher/`` without suffix), text and doc."""

    name: str
    text: str
    doc: str

    @property
    def parameters(self) -> frozenset[str]:
        body = _STRING_LITERAL.sub("", _strip_comments(self.text))
        return frozenset(_PARAM.findall(body))

    @property
    def declared(self) -> tuple[Param, ...]:
        """The ``// param`` lines of the header, in file order."""
        found = []
        for line in _header(self.text):
            match = _DECLARED.match(line)
            if not match:
                continue
            name, default, description = match.groups()
            if default is None:
                found.append(Param(name, description.strip(), required=True))
                continue
            try:
                value = json.loads(default)
            except ValueError:
                raise QueryError(f"query {self.name}: default {default!r} of ${name} is not JSON "
                                 "(write null, a number, true/false or a \"quoted string\")") from None
            found.append(Param(name, description.strip(), required=False, default=value))
        return tuple(found)

    @property
    def description(self) -> str:
        """The header without its ``// param`` lines."""
        return " ".join(x for x in (_uncomment(line) for line in _header(self.text) if not _DECLARED.match(line)) if x)

    def bind(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` with the declared defaults filled in, checked like :meth:`check`."""
        declared = {p.name: p for p in self.declared}
        unused = set(declared) - self.parameters
        if unused:
            raise QueryError(f"query {self.name}: declares parameters {sorted(unused)} that its Cypher never uses")
        values = {n: p.default for n, p in declared.items() if not p.required and n not in params}
        values.update(params)
        missing = sorted(self.parameters - set(values))
        if missing:
            raise QueryError(f"query {self.name}: missing parameters {missing} (they have no default); "
                             "`kgtool query --list` shows each parameter and its default")
        return self.check(values)

    def check(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return ``params`` if they are exactly the statement's parameters, else raise."""
        missing = self.parameters - set(params)
        extra = set(params) - self.parameters
        if missing or extra:
            raise QueryError(
                f"query {self.name}: missing parameters {sorted(missing)}, unexpected {sorted(extra)}; "
                f"pass exactly {sorted(self.parameters)}"
            )
        return dict(params)


def _strip_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def _header(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if not line.lstrip().startswith("//"):
            break
        lines.append(line.strip())
    return lines


def _uncomment(line: str) -> str:
    return line.lstrip()[2:].strip()


def _doc(text: str) -> str:
    return " ".join(x for x in (_uncomment(line) for line in _header(text)) if x)


def read_statement(path: Path, name: str) -> Statement:
    text = path.read_text(encoding="utf-8")
    return Statement(name=name, text=text.strip(), doc=_doc(text))


def _root() -> Path:
    if not CYPHER_DIR.is_dir():
        raise QueryError(f"kgtool's stored Cypher is missing ({CYPHER_DIR} is not a folder): the installation is "
                         "broken; reinstall kgtool (from a checkout: `pip install .`, which copies cypher/ there)")
    return CYPHER_DIR


@lru_cache(maxsize=None)
def load(name: str) -> Statement:
    """Load ``cypher/<name>.cypher``, e.g. ``load("schema/constraints")``."""
    path = _root() / f"{name}.cypher"
    if not path.is_file():
        raise QueryError(f"no stored query {name!r} ({path} does not exist); see cypher/ for the list")
    return read_statement(path, name)


def render(name: str, /, **slots: str) -> Statement:
    """Fill a template's ``{slot}`` placeholders with identifiers from schema enums."""
    template = load(name)
    needed = set(_SLOT.findall(template.text))
    if needed != set(slots):
        raise QueryError(f"template {name}: slots {sorted(needed)} needed, got {sorted(slots)}")
    text = _SLOT.sub(lambda m: identifier(slots[m.group(1)]), template.text)
    return Statement(name=template.name, text=text, doc=template.doc)


def folder(sub: str) -> list[Statement]:
    """All statements in ``cypher/<sub>/``, sorted by name."""
    base = _root() / sub
    return [read_statement(p, f"{sub}/{p.stem}") for p in sorted(base.glob("*.cypher"))]
