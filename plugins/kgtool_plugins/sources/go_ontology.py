"""The Gene Ontology itself for the ``go`` source: OBO 1.2 files checked stanza by stanza, then
parsed with ``obonet``, into terms, their is_a/part_of parents and alt_id/replaced_by resolution
(see :mod:`.gene_ontology` for what is an error and what is dropped under ``lenient``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from toolkit.errors import InputDataError
from toolkit.schema import RelType

from .tables import Head, Problems, iter_lines, one_line

HIERARCHY = {"is_a": RelType.IS_A, "part_of": RelType.PART_OF}
MAX_REPLACEMENT_HOPS = 20


@dataclass(frozen=True)
class Term:
    go_id: str
    name: str
    namespace: str
    obsolete: bool
    alt_ids: tuple[str, ...]
    replaced_by: tuple[str, ...]


@dataclass
class Ontology:
    """The parsed ontology: terms, the alt_id map and the checked (acyclic) live hierarchy."""

    path: Path
    terms: dict[str, Term]
    alt_to_primary: dict[str, str]
    parents: dict[str, list[tuple[str, str]]]  # child -> [(parent, "is_a"|"part_of")], live terms only
    _ancestors: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def resolve(self, go_id: str) -> tuple[Optional[str], str]:
        """``(live primary id or None, why)``; why is "" for a live primary id."""
        current = go_id
        steps: list[str] = []
        for _ in range(MAX_REPLACEMENT_HOPS):
            if current not in self.terms and current in self.alt_to_primary:
                primary = self.alt_to_primary[current]
                steps.append(f"{current} is an alt_id of {primary}")
                current = primary
                continue
            term = self.terms.get(current)
            if term is None:
                return None, "; ".join(steps + [f"{current} is not defined in {self.path.name}"])
            if not term.obsolete:
                return current, "; ".join(steps)
            if not term.replaced_by:
                return None, "; ".join(steps + [f"{current} is obsolete and has no replaced_by"])
            steps.append(f"{current} is obsolete, replaced_by {term.replaced_by[0]}")
            current = term.replaced_by[0]
        return None, f"{go_id}: the alt_id/replaced_by chain is longer than {MAX_REPLACEMENT_HOPS} (circular?)"

    def ancestors(self, go_id: str) -> frozenset[str]:
        """All ancestors of a live term through is_a and part_of (not the term itself)."""
        cached = self._ancestors.get(go_id)
        if cached is not None:
            return cached
        # iterative post-order so deep hierarchies cannot hit the recursion limit
        stack = [(go_id, False)]
        while stack:
            node, done = stack.pop()
            if node in self._ancestors:
                continue
            parents = [p for p, _ in self.parents.get(node, ())]
            if done:
                acc: set[str] = set()
                for p in parents:
                    acc.add(p)
                    acc |= self._ancestors[p]
                self._ancestors[node] = frozenset(acc)
            else:
                stack.append((node, True))
                stack.extend((p, False) for p in parents if p not in self._ancestors)
        return self._ancestors[go_id]


def is_obo(path: Path, head: Head) -> bool:
    name = path.name.lower()
    return (name.endswith(".obo") or name.endswith(".obo.gz") or head.first_line.startswith("format-version:")
            or head.first_line.startswith("[Term]"))


class _Stanza:
    """One OBO stanza as read: its type line, where it starts, its lines, its id and name."""

    def __init__(self, kind: str, line: int) -> None:
        self.kind, self.line = kind, line
        self.lines: list[str] = []
        self.id = self.name = ""

    def add(self, text: str) -> None:
        self.lines.append(text)
        tag, _, value = text.partition(":")
        value = value.split(" !")[0].strip()
        if tag == "id" and not self.id:
            self.id = value
        elif tag == "name" and not self.name:
            self.name = value


class CheckedObo:
    """The lines of an OBO file, stanza by stanza, for obonet, with incomplete and repeated stanzas
    turned into errors (``lenient``: left out and reported; the first definition of an id is kept)."""

    def __init__(self, path: Path, problems: Problems) -> None:
        self.path, self.problems = path, problems
        self._seen: dict[tuple[str, str], int] = {}
        self._cut_line: Optional[int] = None  # the last line, when it has no line break (a cut file)

    def __enter__(self) -> CheckedObo:
        return self

    def __exit__(self, *exc_info: object) -> bool:
        return False

    def __iter__(self) -> Iterator[str]:
        stanza: Optional[_Stanza] = None
        header: list[str] = []
        for line_no, text in iter_lines(self.path, on_unterminated=self._note_cut):
            if text.startswith("[") and text.rstrip().endswith("]"):
                if stanza is not None:
                    yield from self._checked(stanza, at_end=False)
                elif header:
                    yield from (h + "\n" for h in header + [""])
                stanza = _Stanza(text.strip(), line_no)
            elif stanza is None:
                if text.strip():
                    header.append(text)
            elif text.strip():
                stanza.add(text)
        if stanza is None:
            yield from (h + "\n" for h in header)
        else:
            yield from self._checked(stanza, at_end=True)

    def _note_cut(self, line_no: int) -> None:
        self._cut_line = line_no

    def _checked(self, stanza: _Stanza, at_end: bool) -> Iterator[str]:
        missing = [tag for tag, value in (("id", stanza.id), ("name", stanza.name))
                   if not value and (tag == "id" or stanza.kind == "[Term]")]
        record = f"line {stanza.line}"
        if missing and stanza.kind in ("[Term]", "[Typedef]"):
            what = f"the {stanza.kind} stanza{' ' + stanza.id if stanza.id else ''} has no {' or '.join(missing)}: line"
            if at_end:
                what += " and ends the file: the file is cut mid-stanza"
            self.problems.bad(self.path, record, what,
                              "download the ontology again (or complete the stanza)", kind="incomplete stanza")
            return
        if at_end and self._cut_line is not None:
            # OBO writers end every line: a last line without a line break is where the file was cut
            # (a stanza that looks complete: "name: big pro" is a name), so the stanza is not trusted
            self.problems.bad(
                self.path, record,
                f"the {stanza.kind} stanza{' ' + stanza.id if stanza.id else ''} ends the file at line "
                f"{self._cut_line} without a line break: the file is cut mid-stanza",
                "download the ontology again (if the file is complete, end its last line with a line break)",
                kind="incomplete stanza",
            )
            return
        if stanza.id:
            first = self._seen.setdefault((stanza.kind, stanza.id), stanza.line)
            if first != stanza.line:
                self.problems.bad(
                    self.path, record,
                    f"{stanza.id} is defined twice (the {stanza.kind} stanzas at lines {first} and {stanza.line}); "
                    "the definitions are not merged", "keep one stanza per id (--lenient keeps the first)",
                    kind="duplicate term",
                )
                return
        yield stanza.kind + "\n"
        yield from (line + "\n" for line in stanza.lines)
        yield "\n"


def load_ontology(path: Path, problems: Problems) -> Ontology:
    """Parse an OBO file with obonet (after :class:`CheckedObo`) and check its is_a/part_of hierarchy."""
    import obonet  # local: networkx is slow to import and only a GO load needs it

    try:
        graph = obonet.read_obo(CheckedObo(path, problems), ignore_obsolete=False)
    except InputDataError:
        raise
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise InputDataError(path, "stanza", f"not a readable OBO file ({one_line(exc)})",
                             "check the file is OBO 1.2 (e.g. go-basic.obo)") from None
    default_ns = graph.graph.get("default-namespace", "")
    if isinstance(default_ns, list):
        default_ns = default_ns[0] if default_ns else ""
    terms: dict[str, Term] = {}
    alt: dict[str, str] = {}
    for go_id, data in graph.nodes(data=True):
        if not data:  # created only as the target of an edge: not defined by a stanza
            continue
        term = Term(
            go_id=go_id,
            name=str(data.get("name", "")),
            namespace=str(data.get("namespace", default_ns)),
            obsolete=str(data.get("is_obsolete", "false")).lower() == "true",
            alt_ids=tuple(data.get("alt_id", ())),
            replaced_by=tuple(data.get("replaced_by", ())),
        )
        terms[go_id] = term
        for a in term.alt_ids:
            alt.setdefault(a, go_id)
    problems.report.rows_read += len(terms)
    if not terms:
        raise InputDataError(path, "file", "no [Term] stanzas found", "check this is an OBO ontology file")

    parents: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for child, parent, key in sorted(graph.edges(keys=True)):
        if key not in HIERARCHY or child not in terms:
            continue
        record = f"term {child}"
        if parent not in terms:
            problems.bad(path, record, f"{key} parent {parent} is not defined in the ontology",
                         f"add a [Term] stanza for {parent} or remove the '{key}' line of {child}",
                         kind="undefined parent")
            continue
        if terms[child].obsolete or terms[parent].obsolete:
            problems.drop(path, record, f"{key} {parent} involves an obsolete term; edge not loaded",
                          kind="edge to obsolete term")
            continue
        parents[child].append((parent, key))
    _break_cycles(path, terms, parents, problems)
    return Ontology(path=path, terms=terms, alt_to_primary=alt, parents=dict(parents))


def _break_cycles(path: Path, terms: dict[str, Term], parents: dict[str, list[tuple[str, str]]],
                  problems: Problems) -> None:
    """Find is_a/part_of cycles by depth-first search: error, or (lenient) drop the closing edge."""
    white, grey, black = 0, 1, 2
    colour: dict[str, int] = defaultdict(int)
    for root in sorted(parents):
        if colour[root] != white:
            continue
        colour[root] = grey
        trail = [root]
        stack = [(root, iter(list(parents.get(root, ()))))]
        while stack:
            node, it = stack[-1]
            step = next(it, None)
            if step is None:
                colour[node] = black
                stack.pop()
                trail.pop()
                continue
            parent, key = step
            if colour[parent] == grey:
                cycle = trail[trail.index(parent):] + [parent]
                problems.bad(
                    path, f"term {node}",
                    f"'{key} {parent}' closes a cycle in is_a/part_of: {' -> '.join(cycle)}",
                    "remove one is_a/part_of line on that cycle", kind="cycle",
                )
                parents[node].remove((parent, key))
            elif colour[parent] == white:
                colour[parent] = grey
                trail.append(parent)
                stack.append((parent, iter(list(parents.get(parent, ())))))
