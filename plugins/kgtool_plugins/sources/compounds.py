"""Compounds with structures (RDKit), mechanisms of action, targets and substructures.

Inputs, told apart by their header (gzip or not):

* compound tables with an id column: CLUE ``compoundinfo_beta`` (``pert_id cmap_name target moa
  canonical_smiles inchi_key ...``, one row per compound x target), LINCS ``pert_info`` /
  ``GSE92742_Broad_LINCS_pert_info`` (``pert_id pert_iname canonical_smiles inchi_key [MOA]
  [pert_type]``), the Drug Repurposing Hub samples file (``broad_id pert_iname smiles InChIKey``).
  Broad ids are cut to their 13-character pert_id; with a ``pert_type`` column only compounds
  (``trt_cp``, ``trt_poscon``, ``ctl_vehicle``) are kept. Several rows of one compound are merged:
  the first name and SMILES win, MoAs and targets are united. Two rows of one id with different
  structures are a conflict (an error; lenient: the first kept, reported), different Hub samples
  of one compound are not (the first kept, the others reported); a table without a SMILES column
  is reported (see :mod:`._compoundchecks`).
* name-keyed annotation tables without ids: the Hub drugs file (``pert_iname moa target ...``,
  pipe-separated lists) or CLUE/signatureSearch ``moa pert_iname`` lists. Their MoAs and targets
  go to every compound with that name (case-insensitive); names matching no compound are reported.
* gene tables (CLUE ``geneinfo_beta`` ``gene_id gene_symbol``, LINCS ``gene_info`` or the
  landmark list ``pr_gene_id pr_gene_symbol``) to turn target symbols into Entrez ids. Symbols a
  table lacks (or all, without one) are resolved against the genes already in the graph, by
  symbol, then alias symbol (:mod:`._targets`); the rest are reported, get no TARGETS and stay on
  the node as ``unresolved_targets``, linked by a later load that brings their genes.

MoA and target cells are split on ``|`` (signatureSearch's ``MOA`` column also on ``;``; never on
``,``, which real MoA names hold: ``indoleamine 2,3-dioxygenase inhibitor``). The tables spell one
MoA differently (CLUE ``Melatonin receptor agonist``, Hub ``melatonin receptor agonist``, trailing
spaces, en dashes): spellings with the same :func:`toolkit.names.label_key` (NFKC, dashes as ``-``,
whitespace collapsed, case-folded) are one MoA node, named by the preferred spelling
(:func:`toolkit.names.preferred_label`, the Hub's style), so the result does not depend on the order
of the paths; a compound gets one HAS_MOA per MoA. Names are matched the same way between
name-keyed annotation tables and compound tables; target symbols are matched to the gene table
after NFKC normalisation, case-insensitively. Hub
files (they start with ``!`` lines) are spreadsheet exports: a field holding a comma is wrapped in
double quotes (names such as ``"[sar9,met(o2)11]-substance-p"``, CXSMILES such as
``"C... |a:9,&1:39|"``), and those quotes are removed; a line that is not UTF-8 is decoded as Mac
Roman (the 2018 Hub drugs file is Mac Roman: byte 0xD0 is an en dash, 0x9F is ``ü``) and
reported as repaired. Other files must be UTF-8 and their values are taken verbatim: a compound
name is stored byte-exact, spaces included; only ids and SMILES are stripped to be parsed. A SMILES of
``restricted`` (LINCS) counts as missing. CXSMILES extensions RDKit cannot read (ChemAxon's
``THB``/``TLB`` ring-bond hints) are cut off, keeping the plain SMILES, and reported as repaired.

RDKit parses each SMILES once: Compound ``{pert_id, name, smiles (RDKit canonical), inchikey
(computed, else the file's), scaffold (Murcko scaffold SMILES, "" for a molecule without rings),
unresolved_targets (target symbols not linked yet, where there are any)}``.
The three structure fields are written together, from one SMILES, or not at all: a compound
without a usable SMILES (none, ``restricted``, invalid, or no SMILES column) gets none of them, so
its file's ``inchi_key`` is not stored either, and a load on top of an existing graph never leaves
a node with one source's InChIKey and another's structure (an InChIKey "" means RDKit computed
none and the file had none). An invalid SMILES is not fatal: the compound is loaded without
structure and the SMILES goes to ``report.dropped``.

Substructures (the vocabulary structure explanations rank; see :mod:`._substructures`):

* :data:`FUNCTIONAL_GROUPS`, a fixed list of medicinal-chemistry functional groups and ring
  systems, each a SMARTS constant: every group is yielded as ``Substructure {smarts, name,
  kind: "functional_group"}`` and linked by ``HAS_SUBSTRUCTURE {count}`` (number of unique matches)
  to the compounds that contain it.
* BRICS fragments mined from the compounds of this load: each structure is cut at its BRICS bonds
  and the pieces (attachment points as ``*``) that are pieces of at least
  ``max(3, 2 % of the compounds with a structure)`` compounds, at most the 200 most frequent
  (:class:`MiningSettings`), are ``Substructure {smarts, name: smarts, kind: "brics_fragment"}``.
  A compound is linked by ``HAS_SUBSTRUCTURE {count}`` (unique matches of the fragment's SMARTS)
  to the mined fragments among its own BRICS pieces (not to every compound the SMARTS matches:
  matching up to 200 SMARTS against every compound would cost more than the rest of the load; a
  piece's SMARTS always matches the compound it came from). The vocabulary depends on the
  compounds read together: one load of several compound tables mines their union, while separate
  loads each add the fragments frequent in their own tables and link only their own compounds.
  Re-loading the same files gives the same graph; load all compound tables in one call for one
  vocabulary.
* The Murcko scaffold is a ``Substructure {smarts: scaffold SMILES, name, kind: "scaffold"}``
  linked without properties (when its SMILES equals a group's SMARTS the group node stands for it).

Fragment SMARTS hold ``*`` and group SMARTS and scaffolds never do, so the kinds never share a node.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Sequence

from toolkit.errors import InputDataError
from toolkit.graph.batches import Batch
from toolkit.hookspecs import hookimpl
from toolkit.names import label_key, preferred_label
from toolkit.schema import NodeLabel, RelType
from toolkit.sources import LoadOptions

from ._compoundchecks import SMILES_COLUMNS, CompoundRecord, check_smiles, no_structure
from ._substructures import FRAGMENT_KIND, FUNCTIONAL_GROUPS, GROUP_KIND, MiningSettings, mine_fragments
from ._targets import GraphGenes, resolve, symbol_key
from .compound_structures import Structure, analyse_smiles
from .tables import (
    MISSING,
    DelimitedFile,
    GeneTable,
    Problems,
    ReportingSource,
    clean,
    is_compound_pert_type,
    is_gene_table,
    node_batches,
    pert_id,
    rel,
    rel_batches,
    sniff,
    split_list,
)

logger = logging.getLogger(__name__)

ID_COLUMNS = ("pert_id", "broad_id")
NAME_COLUMNS = ("cmap_name", "pert_iname")
INCHIKEY_COLUMNS = ("inchi_key", "InChIKey", "inchikey")
MOA_COLUMNS = ("moa", "MOA")
TARGET_COLUMNS = ("target", "targets")
HUB_FALLBACK_ENCODING = "mac_roman"
SMILES_PLACEHOLDERS = frozenset({"restricted"})  # LINCS writes this where a structure is confidential
SCAFFOLD_KIND = "scaffold"


@dataclass
class _Annotation:
    moas: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    where: tuple[Path, str] = (Path("."), "")
    name: str = ""


def _open_table(path: Path, hub_style: bool, problems: Problems) -> DelimitedFile:
    if hub_style:
        return DelimitedFile(path, problems, fallback_encoding=HUB_FALLBACK_ENCODING, unquote=True)
    return DelimitedFile(path, problems)


def _moa_seps(column: Optional[str]) -> str:
    """MoA lists: CLUE and the Hub separate with "|"; signatureSearch's ``MOA`` column with "; "."""
    return "|;" if column == "MOA" else "|"


def _extend(into: list[str], values: list[str]) -> None:
    for v in values:
        if v not in into:
            into.append(v)


class CompoundsSource(ReportingSource):
    """Compound tables (CLUE, LINCS, Drug Repurposing Hub) with RDKit structures."""

    name = "compounds"
    description = ("Compounds (CLUE compoundinfo, LINCS pert_info, Repurposing Hub) with RDKit structures, "
                   "MoA, targets, substructures")

    def __init__(self, mining: MiningSettings = MiningSettings()) -> None:
        self.mining = mining

    # -- reading -----------------------------------------------------------------------------

    def _read(self, paths: Sequence[Path], options: LoadOptions, problems: Problems) -> Iterator[Batch]:
        genes = GeneTable()
        have_genes = False
        compounds: dict[str, CompoundRecord] = {}
        by_name: dict[str, _Annotation] = {}
        target_seen: dict[str, tuple[Path, str]] = {}
        for path in map(Path, paths):
            head = sniff(path)
            hub_style = head.first_line.startswith("!")  # Repurposing Hub export: quoted fields, old encodings
            if is_gene_table(head):
                genes.read(path, problems)
                have_genes = True
            elif head.has_any(*ID_COLUMNS):
                self._read_compounds(path, hub_style, compounds, target_seen, problems)
            elif head.has_any(*NAME_COLUMNS) and head.has_any(*MOA_COLUMNS, *TARGET_COLUMNS):
                self._read_name_table(path, hub_style, by_name, target_seen, problems)
            else:
                raise InputDataError(
                    path, "header", f"not a compound, annotation or gene table (columns {', '.join(head.fields[:6])})",
                    "pass CLUE compoundinfo_beta, LINCS pert_info, Repurposing Hub drugs/samples files or a gene table",
                )
        self._attach_names(compounds, by_name, problems)
        yield from self._batches(compounds, genes if have_genes else None, target_seen, options, problems)

    @staticmethod
    def _read_compounds(path: Path, hub_style: bool, compounds: dict[str, CompoundRecord],
                        target_seen: dict[str, tuple[Path, str]], problems: Problems) -> None:
        table = _open_table(path, hub_style, problems)
        id_col = table.column(*ID_COLUMNS)
        name_col = table.column(*NAME_COLUMNS, required=False)
        smiles_col = table.column(*SMILES_COLUMNS, required=False)
        key_col = table.column(*INCHIKEY_COLUMNS, required=False)
        moa_col = table.column(*MOA_COLUMNS, required=False)
        target_col = table.column(*TARGET_COLUMNS, required=False)
        type_col = table.column("pert_type", required=False)
        skipped_types: dict[str, int] = defaultdict(int)
        n_rows = 0
        for row in table.rows():
            n_rows += 1
            if type_col and not is_compound_pert_type(row.get(type_col)):
                skipped_types[row.get(type_col) or "(empty)"] += 1
                continue
            raw_id = row.get(id_col)
            if raw_id in MISSING:
                problems.bad(path, row.record, f"empty {id_col}", f"give every row a {id_col}", kind="empty id")
                continue
            comp = compounds.get(pert_id(raw_id))
            if comp is None:
                comp = compounds[pert_id(raw_id)] = CompoundRecord(pert_id(raw_id))
            name = row[name_col] if name_col else ""  # verbatim: names round-trip byte-exact
            if name.strip() not in MISSING and not comp.name:
                comp.name = name
            smiles = row.get(smiles_col)
            if smiles and smiles not in MISSING and smiles.lower() not in SMILES_PLACEHOLDERS:
                if not comp.smiles:
                    comp.smiles, comp.smiles_at, comp.smiles_id = smiles, (path, row.record), raw_id.strip()
                else:
                    check_smiles(comp, smiles, raw_id.strip(), path, row.record, problems)
            key = row.get(key_col)
            if key and key not in MISSING and not comp.inchikey:
                comp.inchikey = key
            _extend(comp.moas, split_list(row.get(moa_col), _moa_seps(moa_col)))
            targets = split_list(row.get(target_col), "|")
            _extend(comp.targets, targets)
            for t in targets:
                target_seen.setdefault(t, (path, row.record))
        if smiles_col is None and n_rows:
            no_structure(path, table.columns, key_col, n_rows, problems)
        if skipped_types:
            total = sum(skipped_types.values())
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(skipped_types.items()))
            problems.drop(path, "pert_type", f"{total} rows are not compounds ({kinds})", kind="not compounds",
                          rows=total)

    @staticmethod
    def _read_name_table(path: Path, hub_style: bool, by_name: dict[str, _Annotation],
                         target_seen: dict[str, tuple[Path, str]], problems: Problems) -> None:
        table = _open_table(path, hub_style, problems)
        name_col = table.column(*NAME_COLUMNS)
        moa_col = table.column(*MOA_COLUMNS, required=False)
        target_col = table.column(*TARGET_COLUMNS, required=False)
        for row in table.rows():
            name = row.get(name_col)
            if name in MISSING:
                problems.bad(path, row.record, f"empty {name_col}", f"give every row a {name_col}", kind="empty name")
                continue
            ann = by_name.get(label_key(name))
            if ann is None:
                ann = by_name[label_key(name)] = _Annotation(where=(path, row.record), name=name)
            _extend(ann.moas, split_list(row.get(moa_col), _moa_seps(moa_col)))
            targets = split_list(row.get(target_col), "|")
            _extend(ann.targets, targets)
            for t in targets:
                target_seen.setdefault(t, (path, row.record))

    @staticmethod
    def _attach_names(compounds: dict[str, CompoundRecord], by_name: dict[str, _Annotation], problems: Problems) -> None:
        if not by_name:
            return
        ids_by_name: dict[str, list[str]] = defaultdict(list)
        for pid in sorted(compounds):
            if compounds[pid].name:
                ids_by_name[label_key(compounds[pid].name)].append(pid)
        for key, ann in by_name.items():
            pids = ids_by_name.get(key)
            if not pids:
                problems.drop(*ann.where, f"no compound named {ann.name!r} in the compound tables; its MoA/targets "
                              "are not loaded", kind="name without compound")
                continue
            for pid in pids:
                _extend(compounds[pid].moas, ann.moas)
                _extend(compounds[pid].targets, ann.targets)

    # -- batches -----------------------------------------------------------------------------

    def _batches(self, compounds: dict[str, CompoundRecord], genes: Optional[GeneTable],
                 target_seen: dict[str, tuple[Path, str]], options: LoadOptions,
                 problems: Problems) -> Iterator[Batch]:
        size = options.batch_size
        # the graph's genes for the target symbols: asked before the first write of this load
        graph_genes = GraphGenes()
        symbols = sorted({t for c in compounds.values() for t in c.targets})  # as written (for the report)
        yield from graph_genes.lookups(sorted({symbol_key(s) for s in symbols}))
        targets, not_linked = self._resolve_targets(compounds, symbols, genes, graph_genes, target_seen, problems)

        structures: dict[str, Structure] = {}
        compound_rows = []
        for pid in sorted(compounds):
            comp = compounds[pid]
            struct = analyse_smiles(comp.smiles, self.mining) if comp.smiles else None
            if comp.smiles and struct is None:
                problems.drop(*comp.smiles_at, f"SMILES {comp.smiles!r} of {pid} is not valid; compound loaded "
                              "without structure", kind="invalid SMILES")
            if struct is not None:
                structures[pid] = struct
                if struct.cut_extension:
                    problems.repair(*comp.smiles_at, f"SMILES of {pid}: CXSMILES extension "
                                    f"{'|' + comp.smiles.split(' |', 1)[1]!r} not readable by RDKit; ignored",
                                    kind="CXSMILES extension")
            row = {"pert_id": pid, "name": comp.name or None, "unresolved_targets": not_linked.get(pid)}
            if struct is not None:  # the structure fields together, from one SMILES, or none of them
                row.update(smiles=struct.smiles, inchikey=struct.inchikey or comp.inchikey, scaffold=struct.scaffold)
            compound_rows.append(clean(row))
        if not compound_rows:
            return
        yield from node_batches(NodeLabel.COMPOUND, compound_rows, size)

        moa_names = _moa_names(compounds)
        yield from node_batches(NodeLabel.MOA, ({"name": m} for m in sorted(set(moa_names.values()))), size)

        table_genes = sorted({e for pairs in targets.values() for e in pairs} & set(genes.symbols if genes else ()))
        yield from node_batches(  # genes the graph has need no node row; the gene table's get its symbol
            NodeLabel.GENE, (clean({"entrez_id": e, "symbol": genes.symbols.get(e)}) for e in table_genes), size)

        group_smarts = {g.smarts for g in FUNCTIONAL_GROUPS}
        scaffolds = sorted({s.scaffold for s in structures.values() if s.scaffold} - group_smarts)
        mined = mine_fragments(([f for f, _ in s.fragments] for s in structures.values()), len(structures),
                               self.mining)
        vocabulary = {f.smarts for f in mined}
        logger.info("%d BRICS fragments mined from %d compounds with a structure (each a piece of >= %d)",
                    len(mined), len(structures), self.mining.threshold(len(structures)))
        substructure_rows = [{"smarts": g.smarts, "name": g.name, "kind": GROUP_KIND} for g in FUNCTIONAL_GROUPS]
        substructure_rows += [{"smarts": s, "name": s, "kind": SCAFFOLD_KIND} for s in scaffolds]
        substructure_rows += [{"smarts": f.smarts, "name": f.smarts, "kind": FRAGMENT_KIND} for f in mined]
        yield from node_batches(NodeLabel.SUBSTRUCTURE, substructure_rows, size)

        yield from rel_batches(
            RelType.HAS_MOA, NodeLabel.COMPOUND, NodeLabel.MOA,
            (rel(pid, m) for pid in sorted(compounds) for m in sorted({moa_names[x] for x in compounds[pid].moas})),
            size,
        )
        yield from rel_batches(
            RelType.TARGETS, NodeLabel.COMPOUND, NodeLabel.GENE,
            (rel(pid, e) for pid in sorted(targets) for e in sorted(targets[pid])), size,
        )

        def substructure_rels() -> Iterator[dict]:
            for pid in sorted(structures):
                struct = structures[pid]
                for i, count in struct.groups:
                    yield rel(pid, FUNCTIONAL_GROUPS[i].smarts, count=count)
                for smarts, count in struct.fragments:
                    if smarts in vocabulary:
                        yield rel(pid, smarts, count=count)
                if struct.scaffold and struct.scaffold not in group_smarts:
                    yield rel(pid, struct.scaffold)

        yield from rel_batches(RelType.HAS_SUBSTRUCTURE, NodeLabel.COMPOUND, NodeLabel.SUBSTRUCTURE,
                               substructure_rels(), size)

    @staticmethod
    def _resolve_targets(compounds: dict[str, CompoundRecord], symbols: list[str], genes: Optional[GeneTable],
                         graph_genes: GraphGenes, target_seen: dict[str, tuple[Path, str]],
                         problems: Problems) -> tuple[dict[str, set[int]], dict[str, list[str]]]:
        """Entrez ids of each compound's targets (see :mod:`._targets` for the rules), and per
        compound the sorted symbols that could not be linked (``Compound.unresolved_targets``)."""
        if not symbols:
            return {}, {}
        result = resolve(symbols, genes, graph_genes, target_seen, problems)
        out: dict[str, set[int]] = {}
        not_linked: dict[str, list[str]] = {}
        for pid, comp in compounds.items():
            ids = {result.ids[t] for t in comp.targets if t in result.ids}
            if ids:
                out[pid] = ids
            rest = sorted(t for t in comp.targets if t in result.not_linked)
            if rest:
                not_linked[pid] = rest
        return out, not_linked


def _moa_names(compounds: dict[str, CompoundRecord]) -> dict[str, str]:
    """Each MoA spelling of the compounds -> the preferred spelling of its normalised name."""
    spellings: dict[str, set[str]] = defaultdict(set)
    for comp in compounds.values():
        for moa in comp.moas:
            spellings[label_key(moa)].add(moa)
    best = {key: preferred_label(found) for key, found in spellings.items()}
    return {moa: best[key] for key, found in spellings.items() for moa in found}


@hookimpl
def kgtool_register_sources(register) -> None:  # type: ignore[no-untyped-def]
    register(CompoundsSource())
