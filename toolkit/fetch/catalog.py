"""The canonical public files ``kgtool fetch`` knows: official URLs and the ``kgtool load`` they feed.

Only the Drug Repurposing Hub files have published checksums (md5, listed by the Broad Institute
in broadinstitute/lincs-cell-painting ``metadata/moa/clue/md5sum.txt``); STRING, GO, LINCS and HGNC
publish none, and GO and HGNC replace their "current" files monthly. Those are checked against the
size the server announces, and their sha256 is recorded beside the download.
"""

from __future__ import annotations

from dataclasses import dataclass
from posixpath import basename
from urllib.parse import urlsplit

from toolkit.fetch.transfer import FetchError

STRING = "https://stringdb-downloads.org/download"
LINCS = "https://s3.amazonaws.com/macchiato.clue.io/builds/LINCS2020"
REPURPOSING = "https://s3.amazonaws.com/data.clue.io/repurposing/downloads"


@dataclass(frozen=True)
class Remote:
    """One downloadable file.

    ``loader`` is the ``kgtool load`` source that reads it; ``needs`` are the other files that must
    be on the same load line; ``checksum`` is ``"md5:HEX"`` or ``"sha256:HEX"`` where one is
    published; ``note`` is printed with the load line.
    """

    name: str
    url: str
    description: str
    loader: str
    needs: tuple[str, ...] = ()
    checksum: str | None = None
    note: str = ""

    @property
    def filename(self) -> str:
        return basename(urlsplit(self.url).path)


_STRING_FILES = ("string-links", "string-aliases")
_GO_FILES = ("go-obo", "go-gaf")
_GAF_IDS = "goa_human.gaf uses UniProtKB ids: load string (with its aliases) first, or fetch hgnc to map them here"
_LINCS_SIGNATURES = ("lincs-level5", "lincs-siginfo", "lincs-geneinfo")

REMOTES: tuple[Remote, ...] = (
    Remote("string-links", f"{STRING}/protein.links.v12.0/9606.protein.links.v12.0.txt.gz",
           "STRING v12 human protein links (combined score)", "string", _STRING_FILES),
    Remote("string-aliases", f"{STRING}/protein.aliases.v12.0/9606.protein.aliases.v12.0.txt.gz",
           "STRING v12 human aliases (STRING id -> Entrez, UniProt, Ensembl)", "string", _STRING_FILES),
    Remote("string-info", f"{STRING}/protein.info.v12.0/9606.protein.info.v12.0.txt.gz",
           "STRING v12 human protein info (preferred names: gene symbols)", "string", _STRING_FILES),
    Remote("go-obo", "https://purl.obolibrary.org/obo/go/go-basic.obo",
           "Gene Ontology, go-basic.obo (current release)", "go", _GO_FILES,
           note=_GAF_IDS),
    Remote("go-gaf", "https://current.geneontology.org/annotations/goa_human.gaf.gz",
           "GO annotations of human genes, GAF 2.2 (current release)", "go", _GO_FILES,
           note=_GAF_IDS),
    Remote("lincs-level5", f"{LINCS}/level5/level5_beta_trt_cp_n720216x12328.gctx",
           "LINCS 2020 Level 5 compound signatures, GCTX (720,216 x 12,328), ~35 GB", "signatures",
           _LINCS_SIGNATURES),
    Remote("lincs-siginfo", f"{LINCS}/siginfo_beta.txt",
           "LINCS 2020 signature metadata (siginfo_beta)", "signatures", _LINCS_SIGNATURES),
    Remote("lincs-geneinfo", f"{LINCS}/geneinfo_beta.txt",
           "LINCS 2020 gene metadata (geneinfo_beta, 978 landmarks)", "signatures", _LINCS_SIGNATURES),
    Remote("lincs-compoundinfo", f"{LINCS}/compoundinfo_beta.txt",
           "LINCS 2020 compounds: SMILES, MoA, targets (compoundinfo_beta)", "compounds"),
    Remote("repurposing-drugs", f"{REPURPOSING}/repurposing_drugs_20200324.txt",
           "Drug Repurposing Hub drugs: MoA, targets, phase by name (2020-03-24)", "compounds",
           ("repurposing-samples",), checksum="md5:b4b3233dad28d20a522c0200cc4123d1"),
    Remote("repurposing-samples", f"{REPURPOSING}/repurposing_samples_20200324.txt",
           "Drug Repurposing Hub samples: Broad ids, SMILES, InChIKeys (2020-03-24)", "compounds",
           checksum="md5:44067d6ea0e63c70f51e0469d60232ec"),
    Remote("hgnc", "https://storage.googleapis.com/public-download-files/hgnc/tsv/tsv/hgnc_complete_set.txt",
           "HGNC complete set: symbols, previous and alias symbols, Entrez, UniProt, Ensembl ids (a mapping file "
           "for the GO load)", "go", _GO_FILES),
)
CATALOG: dict[str, Remote] = {r.name: r for r in REMOTES}

# names that fetch several files: the Hub's drug annotations only reach compounds through its samples
BUNDLES: dict[str, tuple[str, ...]] = {"repurposing-hub": ("repurposing-drugs", "repurposing-samples")}


def expand(names: list[str] | tuple[str, ...]) -> list[Remote]:
    """The files behind ``names`` (single files or bundles), each once, in catalogue order."""
    wanted: set[str] = set()
    for name in names:
        if name in BUNDLES:
            wanted.update(BUNDLES[name])
        elif name in CATALOG:
            wanted.add(name)
        else:
            known = ", ".join([*CATALOG, *BUNDLES])
            raise FetchError(f"unknown source {name!r}; known: {known} (`kgtool fetch --list` describes them)")
    return [r for r in REMOTES if r.name in wanted]
