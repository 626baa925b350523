"""Every malformed input of the corpus (``tests/corpus``, issue 11) through the real ``kgtool load``
against the real server: a one-line error naming file and record with the graph unchanged, a
reported conflict or repair, the clean files' graph, or strings stored byte-exact -- as each case
declares."""

from __future__ import annotations

import pytest

from tests.corpus.cases import CASES
from tests.corpus.runner import run_case
from tests.helpers import server_env

pytestmark = [pytest.mark.neo4j]


def test_the_corpus_covers_every_defect_of_the_issue():
    names = {c.name for c in CASES}
    for fmt in ("string", "obo", "gaf", "compoundinfo", "siginfo"):
        for defect in ("gzip-truncated", "gzip-corrupt", "empty", "header-only", "latin1", "crlf", "bom",
                       "reordered-columns"):
            assert f"{fmt}-{defect}" in names
    assert {"gctx-truncated", "gctx-corrupt", "gctx-empty", "gctx-header-only", "gctx-reordered",
            "gctx-ids-missing-from-siginfo", "siginfo-ids-missing-from-gctx", "gctx-nan-in-last-signature",
            "string-duplicate-pair-different-scores", "string-tab-line-in-space-separated-file",
            "obo-cut-mid-stanza", "obo-term-defined-twice", "gaf-without-gaf-version", "gaf-evidence-xyz",
            "compoundinfo-trailing-space-name", "compoundinfo-pert_id-with-two-smiles",
            "compoundinfo-missing-canonical_smiles", "siginfo-duplicate-sig_id", "siginfo-cc_q75-abc",
            "injection-compound-name", "injection-go-term-name", "injection-gene-symbol"} <= names
    assert len(names) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_corpus_case(case, graph, settings, tmp_path):
    outcome = run_case(case, graph, settings, server_env(), tmp_path)
    assert outcome.passed, f"{case.name}: {outcome.why}"
