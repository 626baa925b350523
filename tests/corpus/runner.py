"""Run one corpus case through the real ``kgtool load`` (click's CliRunner on ``toolkit.cli``)
against a real server, and say whether kgtool behaved as the case expects."""

from __future__ import annotations

import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from click.testing import CliRunner

from tests.helpers import canonical_dump
from tests.inline_cypher import raw_session

from .cases import BASE, Case, Error, Flagged, RoundTrip, SameAs

CASE_TIMEOUT_S = 180  # a load that takes longer hangs


@dataclass(frozen=True)
class Outcome:
    case: str
    passed: bool
    why: str = ""  # what went wrong


class _Hung(Exception):
    pass


def _alarm(_signum: int, _frame: object) -> None:
    raise _Hung(f"the load did not finish within {CASE_TIMEOUT_S} s")


def _start(graph, settings, case: Case, folder: Path) -> None:
    from toolkit.load import load

    graph.delete_everything()
    for i, (source, make) in enumerate(BASE + case.base):
        load(graph, settings, source, make(folder / f"base{i}"))


def _cli(paths: list[Path], case: Case, env: Mapping[str, str]) -> Any:
    from toolkit.cli import cli

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CASE_TIMEOUT_S)
    try:
        return CliRunner().invoke(cli, ["load", case.source, *map(str, paths), *case.args], env=dict(env))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _value(graph, query: str) -> object:
    with raw_session(graph) as session:
        record = session.run(query).single()
    return None if record is None else record[0]


def _failed_checks(graph, checks) -> list[str]:
    return [f"{query} gave {_value(graph, query)!r}, not {want!r}" for query, want in checks
            if _value(graph, query) != want]


def _error_problems(result: Any, culprit: Path, words: tuple[str, ...], before: set, graph) -> list[str]:
    if result.exit_code != 1:
        return [f"exit status {result.exit_code}, not 1"]
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    if len(errors) != 1:
        return [f"{len(errors)} 'Error:' lines, not one"]
    line = errors[0].lower()
    why = [f"the error does not name {w!r}" for w in (culprit.name, *words) if w.lower() not in line]
    if canonical_dump(graph) != before:
        why.append("the graph changed although the load failed")
    return why


def _reported(output: str, culprit: Path, words: tuple[str, ...]) -> bool:
    for line in output.splitlines():
        low = line.lower()
        if culprit.name.lower() in low and all(w.lower() in low for w in words):
            return True
    return False


def run_case(case: Case, graph, settings, env: Mapping[str, str], folder: Path | None = None) -> Outcome:
    """Run ``case`` on ``graph`` (emptied first; ``settings`` / ``env`` point at its server)."""
    from toolkit.load import load

    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        work = Path(tmp)
        expected = None
        if isinstance(case.expect, SameAs):
            _start(graph, settings, case, work / "clean-base")
            load(graph, settings, case.source, case.expect.clean(work / "clean"))
            expected = canonical_dump(graph)
        _start(graph, settings, case, work / "base")
        before = canonical_dump(graph)
        paths = case.make(work / "case")
        culprit = paths[case.culprit]
        result = _cli(paths, case, env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            return Outcome(case.name, False, f"raised {type(result.exception).__name__}: {result.exception}")
        if "Traceback" in result.output:
            return Outcome(case.name, False, "printed a traceback")
        exp = case.expect
        if isinstance(exp, Error):
            why = _error_problems(result, culprit, exp.locators, before, graph)
        elif isinstance(exp, Flagged):
            if result.exit_code == 0:
                why = [] if _reported(result.output, culprit, exp.words) else [
                    f"completed without a report line naming {culprit.name} and {list(exp.words)}"]
                why += _failed_checks(graph, exp.checks)
            else:
                why = _error_problems(result, culprit, exp.words, before, graph)
        elif result.exit_code != 0:
            why = [f"exit status {result.exit_code}: {result.output.strip().splitlines()[-1:]}"]
        elif isinstance(exp, SameAs):
            why = [] if canonical_dump(graph) == expected else ["the graph differs from the clean files' graph"]
        else:
            assert isinstance(exp, RoundTrip)
            why = _failed_checks(graph, exp.checks)
        if why:
            last = [line for line in result.output.splitlines() if line.strip()][-3:]
            return Outcome(case.name, False, "; ".join(why) + f" (output: {' | '.join(last)})")
        return Outcome(case.name, True)
