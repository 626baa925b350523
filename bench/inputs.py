"""The malformed-input corpus (``tests/corpus``, issue 11) through the real ``kgtool load``.

Metrics: ``inputs.corpus_cases`` (cases in the corpus) and ``inputs.corpus_pass`` (cases whose
load behaved as the case declares: a one-line error naming file and record with the graph
unchanged, a reported conflict or repair, the clean files' graph, or strings stored byte-exact).
The cases that fail are printed with the reason. ``tests/test_input_corpus.py`` asserts each case.
"""

from __future__ import annotations

import sys

import common


def run() -> list[tuple[str, float, str]]:
    from tests.corpus.cases import CASES
    from tests.corpus.runner import run_case

    common.use_server_from_env()
    common.server().start(timeout=300)
    settings = common.settings()
    env = {"KGTOOL_HOME": str(common.HOME), "KGTOOL_BOLT_PORT": str(common.BOLT),
           "KGTOOL_HTTP_PORT": str(common.HTTP)}
    passed = 0
    with common.empty_graph() as graph:
        for case in CASES:
            outcome = run_case(case, graph, settings, env)
            passed += outcome.passed
            if not outcome.passed:
                print(f"corpus case {case.name} failed: {outcome.why}", file=sys.stderr)
    return [("inputs.corpus_cases", len(CASES), "cases"), ("inputs.corpus_pass", passed, "cases")]
