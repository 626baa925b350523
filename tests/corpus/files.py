"""Clean, minimal files in the real formats, and byte-level defects to apply to them."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

INJECTION = "x'}) DETACH DELETE n //"


def tsv(*rows: Sequence[object]) -> str:
    return "".join("\t".join(str(v) for v in row) + "\n" for row in rows)


# -- STRING: protein.links (space-separated) + protein.aliases + protein.info -------------------

LINKS = ("protein1 protein2 combined_score\n"
         "9606.ENSP0001 9606.ENSP0002 800\n"
         "9606.ENSP0002 9606.ENSP0003 400\n"
         "9606.ENSP0003 9606.ENSP0004 500\n")
ALIASES = tsv(("#string_protein_id", "alias", "source"),
              ("9606.ENSP0001", "7157", "Ensembl_HGNC_entrez_id"),
              ("9606.ENSP0002", "4193", "Ensembl_HGNC_entrez_id"),
              ("9606.ENSP0003", "1956", "Ensembl_HGNC_entrez_id"),
              ("9606.ENSP0004", "3065", "Ensembl_HGNC_entrez_id"))


def info(annotation: str = "Cellular tumor antigen p53", name: str = "TP53") -> str:
    return tsv(("#string_protein_id", "preferred_name", "protein_size", "annotation"),
               ("9606.ENSP0001", name, 393, annotation),
               ("9606.ENSP0002", "MDM2", 491, "E3 ubiquitin-protein ligase"),
               ("9606.ENSP0003", "EGFR", 1210, "Epidermal growth factor receptor"),
               ("9606.ENSP0004", "HDAC1", 482, "Histone deacetylase 1"))


# -- GO: OBO and GAF 2.2 ---------------------------------------------------------------------------

OBO_HEADER = "format-version: 1.2\ndata-version: corpus/2024-01-01\nontology: go\n"


def term(go_id: str, name: str, *extra: str, namespace: str = "biological_process") -> str:
    return "\n".join(["[Term]", f"id: {go_id}", f"name: {name}", f"namespace: {namespace}", *extra]) + "\n"


def obo(*terms: str) -> str:
    terms = terms or (term("GO:9900001", "root process"),
                      term("GO:9900002", "signalling cascade", "is_a: GO:9900001 ! root process"),
                      term("GO:9900003", "apoptotic process", "is_a: GO:9900002"),
                      term("GO:9900004", "big process", "is_a: GO:9900001"))
    return OBO_HEADER + "".join("\n" + t for t in terms)


def gaf_line(gene: int, symbol: str, go_id: str, evidence: str = "IDA", db: str = "NCBIGene") -> str:
    return "\t".join([db, str(gene), symbol, "involved_in", go_id, "PMID:1", evidence, "", "P", "name", "",
                      "protein", "taxon:9606", "20240101", "CORPUS", "", ""]) + "\n"


GAF_ROWS = ((7157, "TP53", "GO:9900003"), (4193, "MDM2", "GO:9900002"), (1956, "EGFR", "GO:9900004"))


def gaf(rows=GAF_ROWS, header: str = "!gaf-version: 2.2\n", evidence: str = "IDA") -> str:
    return header + "".join(gaf_line(g, s, t, evidence) for g, s, t in rows)


# -- compounds: CLUE compoundinfo_beta ---------------------------------------------------------------

CLUE_HEADER = ("pert_id", "cmap_name", "target", "moa", "canonical_smiles", "inchi_key", "compound_aliases")
ASPIRIN = ("BRD-K00000001", "aspirin", "", "cyclooxygenase inhibitor", "CC(=O)Oc1ccccc1C(=O)O",
           "BSYNRYMUTXBXSQ-UHFFFAOYSA-N", "")
ETHANOL = ("BRD-K00000002", "ethanol", "", "solvent", "CCO", "LFQSCWFLJHTTHZ-UHFFFAOYSA-N", "")
CAFFEINE = ("BRD-K00000003", "caffeine", "", "adenosine receptor antagonist", "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
            "RYYVLZVUVIJVGH-UHFFFAOYSA-N", "")
COMPOUNDS = (ASPIRIN, ETHANOL, CAFFEINE)


def compoundinfo(rows=COMPOUNDS, header=CLUE_HEADER) -> str:
    return tsv(header, *rows)


# -- signatures: Level 5 GCTX + siginfo + geneinfo ---------------------------------------------------

GENES = ("7416", "5720", "10", "4193", "1956")
GENEINFO = tsv(("gene_id", "gene_symbol", "ensembl_id", "gene_title", "gene_type", "src", "feature_space"),
               *[(g, f"SYM{g}", f"E{g}", "t", "protein-coding", "NCBI", "landmark") for g in GENES])
SIGINFO_HEADER = ("sig_id", "pert_id", "cmap_name", "pert_type", "cell_iname", "pert_idose", "pert_itime",
                  "qc_pass", "cc_q75")


def sig_row(i: int, cc_q75: str = "0.5") -> tuple:
    pert = f"BRD-K0000000{1 + i % 3}"
    return (f"S{i}", pert, ("aspirin", "ethanol", "caffeine")[i % 3], "trt_cp", ("MCF7", "A375")[i % 2],
            "10 uM", "24 h", 1, cc_q75)


def siginfo(ids: Sequence[int] = (1, 2, 3, 4), header=SIGINFO_HEADER, rows: Optional[list] = None) -> str:
    return tsv(header, *(rows if rows is not None else [sig_row(i) for i in ids]))


def matrix(n: int, genes: int = len(GENES)) -> np.ndarray:
    """(signatures, genes): distinct values per signature."""
    base = np.array([1.5, -0.5, 3.0, -2.0, 0.25][:genes], dtype=np.float32)
    return np.stack([base * (1 + (i % 7)) + 0.01 * i for i in range(n)]).astype(np.float32)


def write_gctx(path: Path, col_ids: Sequence[str], values: np.ndarray, row_ids: Sequence[str] = GENES) -> Path:
    """A GCTX in cmapPy's layout: /0/DATA/0/matrix is (columns, rows)."""
    import h5py

    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.attrs["version"] = "GCTX1.0"
        f.create_dataset("/0/DATA/0/matrix", data=np.asarray(values, dtype=np.float32).reshape(len(col_ids),
                                                                                               len(row_ids)))
        f.create_dataset("/0/META/COL/id", data=np.array([c.encode() for c in col_ids], dtype="S"))
        f.create_dataset("/0/META/ROW/id", data=np.array([r.encode() for r in row_ids], dtype="S"))
    return path


# -- byte-level defects ---------------------------------------------------------------------------


def gz_truncated(text: str) -> bytes:
    data = gzip.compress(text.encode("utf-8"))
    return data[: len(data) // 2]


def gz_corrupt(text: str) -> bytes:
    data = bytearray(gzip.compress(text.encode("utf-8")))
    for i in range(len(data) // 2, min(len(data) - 8, len(data) // 2 + 6)):
        data[i] ^= 0xFF
    return bytes(data)


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def bom(text: str) -> bytes:
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def latin1(text: str) -> bytes:
    return text.encode("latin-1")


def put(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path
