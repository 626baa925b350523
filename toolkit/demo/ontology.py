"""A small GO-like DAG (OBO 1.2) and its GAF 2.2 gene annotations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toolkit.demo.spec import STREAM_ONTOLOGY, rng_for
from toolkit.demo.world import Design

GO_BASE = 9900000  # synthetic GO:99xxxxx ids (7 digits)
GAF_DATE = "20240101"
N_CATEGORIES = 4  # intermediate terms directly under the root
BACKGROUND_SIZE = (10, 50)  # genes per background term


@dataclass
class Term:
    id: str
    name: str
    definition: str
    is_a: list[str] = field(default_factory=list)
    part_of: list[str] = field(default_factory=list)
    alt_ids: list[str] = field(default_factory=list)
    obsolete: bool = False
    replaced_by: str | None = None


@dataclass
class Ontology:
    terms: list[Term]
    root: str
    pathway_ids: list[str]  # per MoA
    annotations: list[tuple[str, list[int]]]  # (term id, gene indices), in file order

    def name(self, go_id: str) -> str:
        return next(t.name for t in self.terms if t.id == go_id)


def build_ontology(design: Design) -> Ontology:
    spec = design.spec
    rng = rng_for(spec.seed, STREAM_ONTOLOGY)
    counter = iter(range(GO_BASE, GO_BASE + 10_000_000))

    def new_id() -> str:
        return f"GO:{next(counter):07d}"

    root = Term(new_id(), "demo biological process", "The root of the kgtool demo ontology.")
    terms = [root]
    cats = []
    for k in range(N_CATEGORIES):
        t = Term(new_id(), f"demo cellular process category {k + 1}", f"Demo grouping term {k + 1}.", is_a=[root.id])
        cats.append(t)
    # Two second-level groupings, one with two parents, so the DAG is not a tree.
    sub1 = Term(new_id(), "demo signaling subcategory 1", "Demo grouping term.", is_a=[cats[0].id, cats[1].id])
    sub2 = Term(new_id(), "demo signaling subcategory 2", "Demo grouping term.", is_a=[cats[2].id])
    sub2.part_of.append(cats[3].id)
    inter = cats + [sub1, sub2]
    terms += inter

    pathway_ids = []
    annotations: list[tuple[str, list[int]]] = []
    for moa in design.moas:
        parent = inter[int(rng.integers(len(inter)))]
        t = Term(
            new_id(),
            f"demo {moa.gene_class} {moa.letter} signaling pathway",
            f"Planted pathway of the {moa.name} mechanism.",
            is_a=[parent.id],
        )
        if moa.index % 2 == 0:
            other = inter[int(rng.integers(len(inter)))]
            if other.id != parent.id:
                t.part_of.append(other.id)
        terms.append(t)
        pathway_ids.append(t.id)
        annotations.append((t.id, sorted(int(g) for g in moa.go_genes)))

    n_genes = len(design.genes)
    background: list[Term] = []
    for k in range(spec.n_background_terms):
        r = rng.random()
        if background and r < 0.3:
            parent = background[int(rng.integers(len(background)))]
        else:
            parent = inter[int(rng.integers(len(inter)))]
        t = Term(new_id(), f"demo background process {k + 1}", f"Random demo gene set {k + 1}.", is_a=[parent.id])
        if rng.random() < 0.2:
            other = inter[int(rng.integers(len(inter)))]
            if other.id != parent.id:
                t.part_of.append(other.id)
        background.append(t)
        size = min(n_genes, int(rng.integers(BACKGROUND_SIZE[0], BACKGROUND_SIZE[1] + 1)))
        genes = np.sort(rng.choice(n_genes, size=size, replace=False))
        annotations.append((t.id, genes.tolist()))
    terms += background

    # Loader exercises: an alternative id on the first category and one obsolete term.
    cats[0].alt_ids.append(new_id())
    terms.append(
        Term(
            new_id(),
            "obsolete demo process",
            "OBSOLETE. A retired demo term.",
            obsolete=True,
            replaced_by=(background[0].id if background else cats[0].id),
        )
    )
    return Ontology(terms=terms, root=root.id, pathway_ids=pathway_ids, annotations=annotations)


def write_obo(onto: Ontology, seed: int, path: Path) -> None:
    names = {t.id: t.name for t in onto.terms}
    lines = [
        "format-version: 1.2",
        f"data-version: kgtool-demo/{seed}",
        "ontology: go",
        "",
    ]
    for t in onto.terms:
        lines += ["[Term]", f"id: {t.id}", f"name: {t.name}", "namespace: biological_process"]
        lines += [f"alt_id: {a}" for a in t.alt_ids]
        lines.append(f'def: "{t.definition}" [kgtool:demo]')
        lines += [f"is_a: {p} ! {names[p]}" for p in t.is_a]
        lines += [f"relationship: part_of {p} ! {names[p]}" for p in t.part_of]
        if t.obsolete:
            lines.append("is_obsolete: true")
        if t.replaced_by:
            lines.append(f"replaced_by: {t.replaced_by}")
        lines.append("")
    lines += [
        "[Typedef]",
        "id: part_of",
        "name: part of",
        "namespace: external",
        "xref: BFO:0000050",
        "is_transitive: true",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8", newline="\n")


def write_gaf(onto: Ontology, design: Design, path: Path) -> int:
    entrez = design.genes.entrez
    sym = design.genes.symbols
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("!gaf-version: 2.2\n")
        fh.write(f"!generated-by: kgtool-demo\n!date-generated: {GAF_DATE[:4]}-{GAF_DATE[4:6]}-{GAF_DATE[6:]}\n")
        for go_id, genes in onto.annotations:
            for g in genes:
                cols = (
                    "NCBIGene", str(entrez[g]), sym[g], "involved_in", go_id, "PMID:0", "IDA", "", "P",
                    "", "", "protein", "taxon:9606", GAF_DATE, "kgtool-demo", "", "",
                )  # fmt: skip
                fh.write("\t".join(cols) + "\n")
                n += 1
    return n
