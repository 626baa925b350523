"""Every defect of issue 11, as a case: the files it writes and what a load of them must do.

Expectations (checked by :mod:`tests.corpus.runner` through the real ``kgtool load``):

* :class:`Error` -- exit status 1, one ``Error:`` line naming the defective file and every
  locator (line, id, column, value), no traceback, and the graph exactly as before the load;
* :class:`Flagged` -- the defect is not silent: either the load completes and a printed report
  line names the file and every word, or it fails as :class:`Error` does with those words; when
  it completes, ``checks`` (Cypher returning one value) hold;
* :class:`SameAs` -- the load completes with the graph the clean files give;
* :class:`RoundTrip` -- the load completes and each check returns exactly the string written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

from . import files as f

Make = Callable[[Path], list[Path]]  # writes the files into a folder, returns the load paths


@dataclass(frozen=True)
class Error:
    locators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Flagged:
    words: tuple[str, ...]
    checks: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class SameAs:
    clean: Make


@dataclass(frozen=True)
class RoundTrip:
    checks: tuple[tuple[str, object], ...]


Expect = Union[Error, Flagged, SameAs, RoundTrip]


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    make: Make
    expect: Expect
    culprit: int = 0  # which of the load paths is the defective file
    base: tuple[tuple[str, Make], ...] = field(default=())  # loads before the case (besides the shared base)
    args: tuple[str, ...] = ()


def _files(*specs: tuple[str, Union[str, bytes, Callable[[Path], Path]]]) -> Make:
    """A Make writing ``(name, content)`` files in order (content may be a writer of ``path``)."""

    def make(d: Path) -> list[Path]:
        out = []
        for name, content in specs:
            out.append(content(d / name) if callable(content) else f.put(d / name, content))
        return out

    return make


# -- the text formats: the file with the defect, and the clean files it is loaded with -------------


@dataclass(frozen=True)
class Format:
    key: str
    source: str
    filename: str
    text: str
    header_only: str
    latin1: str  # the text with a non-ASCII character (é) in a data line
    reordered: Optional[str]  # the same data with its columns (or tags) in another order
    companions: tuple[tuple[str, Union[str, Callable[[Path], Path]]], ...] = ()
    reordered_expect: Optional[Expect] = None

    @property
    def latin1_line(self) -> int:
        """The line of the first non-ASCII character of :attr:`latin1`."""
        return next(i for i, line in enumerate(self.latin1.splitlines(), 1) if not line.isascii())

    def make(self, content: Union[str, bytes], filename: Optional[str] = None) -> Make:
        return _files((filename or self.filename, content), *self.companions)


def _gctx4(path: Path) -> Path:
    return f.write_gctx(path, [f"S{i}" for i in (1, 2, 3, 4)], f.matrix(4))


def _reorder_columns(text: str, order: Sequence[int], sep: str = "\t") -> str:
    lines = [line.split(sep) for line in text.splitlines()]
    return "".join(sep.join(parts[i] for i in order) + "\n" for parts in lines)


STRING = Format(
    "string", "string", "9606.protein.links.v12.0.txt", f.LINKS,
    header_only="protein1 protein2 combined_score\n",
    latin1="",  # the STRING file with text is the info file (see _generic)
    reordered=_reorder_columns(f.LINKS, (2, 0, 1), sep=" "),
    companions=(("9606.protein.aliases.v12.0.txt", f.ALIASES), ("9606.protein.info.v12.0.txt", f.info())),
)
OBO = Format(
    "obo", "go", "go-basic.obo", f.obo(),
    header_only=f.OBO_HEADER,
    latin1=f.obo(f.term("GO:9900001", "root process"), f.term("GO:9900002", "signalling caf\u00e9 cascade")),
    reordered=f.obo(*("\n".join(reversed(t.strip().split("\n"))).join(("[Term]\n", "\n"))
                      for t in f.obo().split("[Term]\n")[1:])),
)
GAF = Format(
    "gaf", "go", "goa_human.gaf", f.gaf(),
    header_only="!gaf-version: 2.2\n",
    latin1=f.gaf() + f.gaf_line(3065, "HDAC1 caf\u00e9", "GO:9900003"),
    # GAF has no header, so columns in another order make another file: GO id and evidence swapped
    reordered="!gaf-version: 2.2\n" + "".join(f.gaf_line(g, s, "IDA", evidence=t) for g, s, t in f.GAF_ROWS),
    reordered_expect=Error(("line 2",)),
    companions=(("go-basic.obo", f.obo()),),
)
COMPOUNDINFO = Format(
    "compoundinfo", "compounds", "compoundinfo_beta.txt", f.compoundinfo(),
    header_only=f.tsv(f.CLUE_HEADER),
    latin1=f.compoundinfo((*f.COMPOUNDS, ("BRD-K00000004", "caf\u00e9ine", "", "", "CN", "", ""))),
    reordered=_reorder_columns(f.compoundinfo(), (5, 3, 0, 6, 4, 1, 2)),
)
SIGINFO = Format(
    "siginfo", "signatures", "siginfo_beta.txt", f.siginfo(),
    header_only=f.tsv(f.SIGINFO_HEADER),
    latin1=f.siginfo(rows=[f.sig_row(1), f.sig_row(2), (*f.sig_row(3)[:4], "caf\u00e9", *f.sig_row(3)[5:]),
                           f.sig_row(4)]),
    reordered=_reorder_columns(f.siginfo(), (8, 4, 0, 2, 7, 1, 6, 3, 5)),
    companions=(("level5.gctx", _gctx4), ("geneinfo_beta.txt", f.GENEINFO)),
)
TEXT_FORMATS = (STRING, OBO, GAF, COMPOUNDINFO, SIGINFO)


def _generic(fmt: Format) -> list[Case]:
    name, src = fmt.filename, fmt.source
    clean = fmt.make(fmt.text)
    cases = [
        Case(f"{fmt.key}-gzip-truncated", src, fmt.make(f.gz_truncated(fmt.text), name + ".gz"),
             Error(("gzip",))),
        Case(f"{fmt.key}-gzip-corrupt", src, fmt.make(f.gz_corrupt(fmt.text), name + ".gz"), Error(("gzip",))),
        Case(f"{fmt.key}-empty", src, fmt.make(b""), Error()),
        Case(f"{fmt.key}-header-only", src, fmt.make(fmt.header_only), Error()),
        Case(f"{fmt.key}-crlf", src, fmt.make(f.crlf(fmt.text)), SameAs(clean)),
        Case(f"{fmt.key}-bom", src, fmt.make(f.bom(fmt.text)), SameAs(clean)),
        Case(f"{fmt.key}-reordered-columns", src, fmt.make(fmt.reordered), fmt.reordered_expect or SameAs(clean)),
    ]
    if fmt.key == "string":  # the STRING file with text is the info file
        latin = f.info(annotation="Prot\u00e9ine p53")
        cases.append(Case("string-latin1", src, _files(("9606.protein.info.v12.0.txt", f.latin1(latin)),
                                                       ("9606.protein.aliases.v12.0.txt", f.ALIASES),
                                                       ("9606.protein.links.v12.0.txt", f.LINKS)),
                          Error(("line 2",))))
    else:
        cases.append(Case(f"{fmt.key}-latin1", src, fmt.make(f.latin1(fmt.latin1)),
                          Error((f"line {fmt.latin1_line}",))))
    return cases


# -- GCTX --------------------------------------------------------------------------------------------


def _signatures(gctx: Callable[[Path], Path], sig: str = f.siginfo()) -> Make:
    return _files(("level5.gctx", gctx), ("siginfo_beta.txt", sig), ("geneinfo_beta.txt", f.GENEINFO))


def _gctx_bytes(transform: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        _gctx4(path)
        return f.put(path, transform(path.read_bytes()))
    return write


def _corrupt_header(data: bytes) -> bytes:
    return data[:8] + bytes(b ^ 0xFF for b in data[8:200]) + data[200:]


def _reordered_gctx(path: Path) -> Path:
    values = f.matrix(4)
    cols, rows = [3, 1, 0, 2], [4, 2, 0, 3, 1]
    return f.write_gctx(path, [f"S{c + 1}" for c in cols], values[cols][:, rows], [f.GENES[r] for r in rows])


def _nan_last(n: int) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        values = f.matrix(n)
        values[-1, 2] = float("nan")
        return f.write_gctx(path, [f"S{i}" for i in range(1, n + 1)], values)
    return write


def _gctx_ids(ids: Sequence[int]) -> Callable[[Path], Path]:
    return lambda path: f.write_gctx(path, [f"S{i}" for i in ids], f.matrix(len(ids)))


NAN_SIGS = 2_100  # more than one read chunk (2,000 signatures): earlier chunks are complete

GCTX_CASES = [
    Case("gctx-truncated", "signatures", _signatures(_gctx_bytes(lambda b: b[: len(b) // 2])), Error()),
    Case("gctx-corrupt", "signatures", _signatures(_gctx_bytes(_corrupt_header)), Error()),
    Case("gctx-empty", "signatures", _signatures(lambda p: f.put(p, b"")), Error()),
    Case("gctx-header-only", "signatures",
         _signatures(lambda p: f.write_gctx(p, [], f.matrix(1)[:0])), Error()),
    Case("gctx-reordered", "signatures", _signatures(_reordered_gctx), SameAs(_signatures(_gctx4))),
    Case("gctx-ids-missing-from-siginfo", "signatures", _signatures(_gctx4, f.siginfo((1, 2))),
         Flagged(("S3", "S4"))),
    Case("siginfo-ids-missing-from-gctx", "signatures", _signatures(_gctx4, f.siginfo((1, 2, 3, 4, 5, 6))),
         Flagged(("S5", "S6")), culprit=1),
    Case("gctx-nan-in-last-signature", "signatures",
         _signatures(_nan_last(NAN_SIGS), f.siginfo(range(1, NAN_SIGS + 1))), Error((f"S{NAN_SIGS}",))),
]


# -- defects of one format -----------------------------------------------------------------------------

_LINKS_DUP = f.LINKS + "9606.ENSP0002 9606.ENSP0001 320\n"
_LINKS_DUP = _LINKS_DUP.replace("9606.ENSP0001 9606.ENSP0002 800", "9606.ENSP0001 9606.ENSP0002 640")
_LINKS_TAB = f.LINKS.replace("9606.ENSP0002 9606.ENSP0003 400", "9606.ENSP0002\t9606.ENSP0003\t400")
_OBO_CUT = f.obo()[: f.obo().index("name: big process") + len("name: big pro")]
_OBO_TWICE = f.obo() + "\n" + f.term("GO:9900003", "apoptotic process DUPLICATE", "is_a: GO:9900004")
_CLUE_NO_SMILES = f.compoundinfo(
    [(r[0], r[1], r[2], r[3], "ZZZZZZZZZZZZZZ-UHFFFAOYSA-N" if r is f.ASPIRIN else r[5], r[6]) for r in f.COMPOUNDS],
    header=tuple(c for c in f.CLUE_HEADER if c != "canonical_smiles"))
_ASPIRIN = "MATCH (c:Compound {pert_id: 'BRD-K00000001'}) RETURN "
_SIG_DUP = f.siginfo(rows=[f.sig_row(1), f.sig_row(2), f.sig_row(3), f.sig_row(2), f.sig_row(4)])
_SIG_ABC = f.siginfo(rows=[f.sig_row(1), f.sig_row(2, cc_q75="abc"), f.sig_row(3), f.sig_row(4)])

SPECIFIC = [
    Case("string-duplicate-pair-different-scores", "string", STRING.make(_LINKS_DUP), Flagged(
        ("640", "320"),
        (("MATCH (:Gene {entrez_id: 7157})-[r:INTERACTS_WITH]-(:Gene {entrez_id: 4193}) RETURN r.score", 640),))),
    Case("string-tab-line-in-space-separated-file", "string", STRING.make(_LINKS_TAB), Flagged(("line 3",))),
    Case("obo-cut-mid-stanza", "go", OBO.make(_OBO_CUT), Flagged(("GO:9900004",))),
    Case("obo-term-defined-twice", "go", OBO.make(_OBO_TWICE), Flagged(("GO:9900003",))),
    Case("gaf-without-gaf-version", "go", GAF.make(f.gaf(header="")), Flagged(("gaf-version",))),
    Case("gaf-evidence-xyz", "go", GAF.make(f.gaf(evidence="XYZ")), Flagged(("XYZ",))),
    Case("compoundinfo-trailing-space-name", "compounds",
         COMPOUNDINFO.make(f.compoundinfo([("BRD-K00000001", "aspirin ", *f.ASPIRIN[2:]), f.ETHANOL])),
         RoundTrip(((_ASPIRIN + "c.name", "aspirin "),))),
    Case("compoundinfo-pert_id-with-two-smiles", "compounds",
         COMPOUNDINFO.make(f.compoundinfo([*f.COMPOUNDS, ("BRD-K00000002", "ethanol", "", "solvent", "CCCO", "", "")])),
         Flagged(("BRD-K00000002",))),
    Case("compoundinfo-missing-canonical_smiles", "compounds", COMPOUNDINFO.make(_CLUE_NO_SMILES),
         Flagged(("canonical_smiles",), ((_ASPIRIN + "c.inchikey", "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"),
                                          (_ASPIRIN + "c.smiles IS NOT NULL", True))),
         base=(("compounds", COMPOUNDINFO.make(f.compoundinfo())),)),
    Case("siginfo-duplicate-sig_id", "signatures", SIGINFO.make(_SIG_DUP), Error(("line 3", "line 5", "S2"))),
    Case("siginfo-cc_q75-abc", "signatures", SIGINFO.make(_SIG_ABC), Error(("line 3", "abc"))),
    # injection strings are data: stored byte-exact, nothing else changes
    Case("injection-compound-name", "compounds",
         COMPOUNDINFO.make(f.compoundinfo([("BRD-K00000001", f.INJECTION, *f.ASPIRIN[2:])])),
         RoundTrip(((_ASPIRIN + "c.name", f.INJECTION), ("MATCH (g:Gene) RETURN count(g)", 4)))),
    Case("injection-go-term-name", "go",
         OBO.make(f.obo(f.term("GO:9900001", "root process"), f.term("GO:9900002", f.INJECTION, "is_a: GO:9900001"))),
         RoundTrip((("MATCH (t:GOTerm {go_id: 'GO:9900002'}) RETURN t.name", f.INJECTION),
                    ("MATCH (g:Gene) RETURN count(g)", 4)))),
    Case("injection-gene-symbol", "string",
         _files(("9606.protein.links.v12.0.txt", f.LINKS), ("9606.protein.aliases.v12.0.txt", f.ALIASES),
                ("9606.protein.info.v12.0.txt", f.info(name=f.INJECTION))),
         RoundTrip((("MATCH (g:Gene {entrez_id: 7157}) RETURN g.symbol", f.INJECTION),
                    ("MATCH (g:Gene) RETURN count(g)", 4))), culprit=2),
]

# the shared base every case starts from: a small STRING network (genes 7157, 4193, 1956, 3065)
BASE: tuple[tuple[str, Make], ...] = (("string", STRING.make(f.LINKS)),)

CASES: list[Case] = [c for fmt in TEXT_FORMATS for c in _generic(fmt)] + GCTX_CASES + SPECIFIC
