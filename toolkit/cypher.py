"""Stored Cypher: every statement lives in ``cypher/**/*.cypher``, one statement a file.

A file may start with ``//`` comment lines; ``// param: name`` lines are not needed: parameters
are found in the text (``$name``). Templates use ``{label}``-style slots that only
:func:`render` fills, from schema enums (never from input).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from toolkit.errors import QueryError
from toolkit.schema import identifier

CYPHER_DIR = Path(__file__).resolve().parents[1] / "cypher"
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_SLOT = re.compile(r"\{([a-z_]+)\}")
_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


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


def _doc(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.lstrip().startswith("//"):
            break
        lines.append(line.lstrip()[2:].strip())
    return " ".join(x for x in lines if x)


def read_statement(path: Path, name: str) -> Statement:
    text = path.read_text(encoding="utf-8")
    return Statement(name=name, text=text.strip(), doc=_doc(text))


@lru_cache(maxsize=None)
def load(name: str) -> Statement:
    """Load ``cypher/<name>.cypher``, e.g. ``load("schema/constraints")``."""
    path = CYPHER_DIR / f"{name}.cypher"
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
    base = CYPHER_DIR / sub
    return [read_statement(p, f"{sub}/{p.stem}") for p in sorted(base.glob("*.cypher"))]
