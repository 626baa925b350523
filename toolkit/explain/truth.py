"""Known (planted) mechanisms that explanations are scored against: the truth file.

A truth file is JSON (documented in ``docs/truth-format.md``)::

    {"moas": [{"name": "HDAC inhibitor",
               "target_entrez": [3065],
               "pathway_entrez": [3065, 10013, 51564],   # planted genes, ranked
               "pathway_go_id": "GO:0016575",            # or a list of GO ids
               "substructure_smarts": "C(=O)NO",         # optional
               "compounds": ["BRD-K00000001"]}],
     "unlabelled": [{"pert_id": "BRD-K00000009", "true_moa": "HDAC inhibitor"}]}  # optional

Other keys, at the top or in a record, are ignored, so a demo's ``ground_truth.json`` is a truth
file as it stands. :func:`load_truth` checks every record and raises a one-line
:class:`~toolkit.errors.InputDataError` naming the file, the record and the fix.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

from toolkit.errors import InputDataError

GO_ID = re.compile(r"^GO:\d{7}$")
FORMAT_DOC = "docs/truth-format.md"


@dataclass(frozen=True)
class MoaTruth:
    """One known mechanism: its targets, planted genes (ranked), planted GO term(s), substructure."""

    name: str
    target_entrez: tuple[int, ...]
    pathway_entrez: tuple[int, ...]  # planted genes, most strongly planted first
    pathway_go_ids: tuple[str, ...]  # planted GO term(s)
    compounds: tuple[str, ...]  # pert_ids of the MoA's labelled compounds
    substructure_smarts: Optional[str] = None


@dataclass(frozen=True)
class Truth:
    """A parsed truth file: the mechanisms and which compound carries which."""

    path: str
    moas: tuple[MoaTruth, ...]
    hidden: Mapping[str, str] = field(default_factory=dict)  # unlabelled pert_id -> true MoA name
    _by_name: Mapping[str, MoaTruth] = field(default_factory=dict, init=False, repr=False, compare=False)
    _by_compound: Mapping[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {m.name: m for m in self.moas})
        index = {p: m.name for m in self.moas for p in m.compounds}
        index.update(self.hidden)
        object.__setattr__(self, "_by_compound", index)

    def moa(self, name: str) -> MoaTruth:
        return self._by_name[name]

    def true_moa_of(self, pert_id: str) -> Optional[str]:
        """The MoA a compound carries (labelled or hidden); None if the truth does not know it."""
        return self._by_compound.get(pert_id)


def load_truth(path: Path | str) -> Truth:
    """Read and check a truth file (see the module docstring and ``docs/truth-format.md``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputDataError(path, "file", f"cannot be read ({exc.__class__.__name__}: {exc})",
                             "pass an existing UTF-8 JSON truth file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputDataError(path, f"line {exc.lineno}", f"not valid JSON ({exc.msg})",
                             f"write the truth file as JSON, see {FORMAT_DOC}") from None
    return parse_truth(data, path)


def parse_truth(data: Any, path: Path | str = "<truth>") -> Truth:
    """A :class:`Truth` from the decoded JSON of a truth file (``path`` names it in errors)."""
    if not isinstance(data, dict):
        raise InputDataError(path, "top level", f"is a JSON {type(data).__name__}, not an object",
                             f'write {{"moas": [...]}}, see {FORMAT_DOC}')
    records = data.get("moas")
    if not isinstance(records, list) or not records:
        raise InputDataError(path, "moas", "is missing or not a non-empty list",
                             f'list the known mechanisms under "moas", see {FORMAT_DOC}')
    moas = [_moa(path, i, r) for i, r in enumerate(records)]
    seen: dict[str, str] = {}
    names: set[str] = set()
    for i, m in enumerate(moas):
        if m.name in names:
            raise InputDataError(path, f"moas[{i}] ({m.name!r})", "repeats an earlier MoA name",
                                 "give each MoA one record")
        names.add(m.name)
        for compound in m.compounds:
            if compound in seen:
                raise InputDataError(path, f"moas[{i}] ({m.name!r}).compounds", f"lists {compound!r}, already a "
                                     f"compound of {seen[compound]!r}", "list each compound under one MoA")
            seen[compound] = m.name
    hidden = _unlabelled(path, data.get("unlabelled", []), names, seen)
    return Truth(path=str(path), moas=tuple(moas), hidden=hidden)


def _moa(path: Path | str, i: int, record: Any) -> MoaTruth:
    where = f"moas[{i}]"
    if not isinstance(record, dict):
        raise InputDataError(path, where, f"is a JSON {type(record).__name__}, not an object",
                             f"write each MoA as an object, see {FORMAT_DOC}")
    name = record.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputDataError(path, where, "has no \"name\" (a non-empty string)", 'add "name": "<MoA name>"')
    where = f"moas[{i}] ({name!r})"
    go = record.get("pathway_go_id")
    go_ids = (go,) if isinstance(go, str) else tuple(go) if isinstance(go, list) else ()
    if not go_ids or not all(isinstance(g, str) and GO_ID.match(g) for g in go_ids):
        raise InputDataError(path, f"{where}.pathway_go_id", f"is {go!r}, not a GO id or a list of GO ids",
                             'write "pathway_go_id": "GO:0000000" (7 digits) or a list of them')
    smarts = record.get("substructure_smarts")
    if smarts is not None and (not isinstance(smarts, str) or not smarts.strip()):
        raise InputDataError(path, f"{where}.substructure_smarts", f"is {smarts!r}, not a SMARTS string",
                             "write a SMARTS string or leave the key out")
    planted = _entrez_list(path, where, record, "pathway_entrez", allow_empty=False)
    if len(set(planted)) != len(planted):
        raise InputDataError(path, f"{where}.pathway_entrez", "repeats a gene", "list each planted gene once")
    return MoaTruth(name=name, target_entrez=_entrez_list(path, where, record, "target_entrez", allow_empty=True),
                    pathway_entrez=planted, pathway_go_ids=go_ids,
                    compounds=_strings(path, f"{where}.compounds", record.get("compounds")),
                    substructure_smarts=smarts or None)


def _entrez_list(path: Path | str, where: str, record: Mapping[str, Any], key: str,
                 allow_empty: bool) -> tuple[int, ...]:
    values = record.get(key)
    if not isinstance(values, list) or (not values and not allow_empty):
        need = "a list" if allow_empty else "a non-empty list"
        raise InputDataError(path, f"{where}.{key}", f"is {values!r}, not {need} of Entrez gene ids",
                             f'write "{key}": [<Entrez id>, ...]')
    out = []
    for j, v in enumerate(values):
        if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, str) and v.isdigit())) or int(v) <= 0:
            raise InputDataError(path, f"{where}.{key}[{j}]", f"is {v!r}, not an Entrez gene id",
                                 "write Entrez ids as positive integers (e.g. 7157), not symbols")
        out.append(int(v))
    return tuple(out)


def _strings(path: Path | str, where: str, values: Any) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise InputDataError(path, where, f"is {values!r}, not a list of pert_ids",
                             'write "compounds": ["BRD-K...", ...] (an empty list is allowed)')
    return tuple(values)


def _unlabelled(path: Path | str, records: Any, names: set[str], seen: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(records, list):
        raise InputDataError(path, "unlabelled", f"is a JSON {type(records).__name__}, not a list",
                             'write "unlabelled": [{"pert_id": ..., "true_moa": ...}] or leave it out')
    out: dict[str, str] = {}
    for i, r in enumerate(records):
        where = f"unlabelled[{i}]"
        pert_id = r.get("pert_id") if isinstance(r, dict) else None
        moa = r.get("true_moa") if isinstance(r, dict) else None
        if not isinstance(pert_id, str) or not pert_id.strip() or not isinstance(moa, str):
            raise InputDataError(path, where, "needs a \"pert_id\" and a \"true_moa\" (strings)",
                                 'write {"pert_id": "BRD-K...", "true_moa": "<MoA name>"}')
        if moa not in names:
            raise InputDataError(path, f"{where} ({pert_id!r}).true_moa", f"{moa!r} is not a MoA of \"moas\"",
                                 "name one of the MoAs listed under \"moas\"")
        if pert_id in seen or pert_id in out:
            raise InputDataError(path, f"{where} ({pert_id!r})", "is already listed with a MoA",
                                 "list each compound once")
        out[pert_id] = moa
    return out
