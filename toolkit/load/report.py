"""What a load did (:class:`LoadReport`): rows read, written, dropped and repaired, as the CLI's
summary lines and as the metrics of the load's Run node and manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolkit.graph.batches import SourceReport
from toolkit.graph.writer import WriteCounts

MAX_REPORTED = 50  # dropped/repaired lines kept on the run node; all go to the manifest


@dataclass
class LoadReport:
    """What a load did. ``dropped`` / ``repaired`` are the (capped) report lines; the counts are exact."""

    run_id: str
    source: str
    paths: list[str]
    status: str = "running"
    rows_read: int = 0
    counts: WriteCounts = field(default_factory=WriteCounts)
    dropped: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    bulk: bool = False  # imported with neo4j-admin (toolkit.load.bulk), not written by the writer
    dropped_by_reason: dict[str, int] = field(default_factory=dict)
    repaired_by_reason: dict[str, int] = field(default_factory=dict)
    read_by_file: dict[str, int] = field(default_factory=dict)
    n_dropped: int = 0
    n_repaired: int = 0
    targets_linked: int = 0  # Compound.unresolved_targets linked after this load (link_unresolved_targets)

    def take(self, source_report: SourceReport) -> None:
        """The read side of ``source_report``: rows read, dropped and repaired (exact) and the lines."""
        self.rows_read = source_report.rows_read
        self.dropped, self.repaired = source_report.dropped, source_report.repaired
        self.dropped_by_reason = dict(source_report.dropped_by_reason)
        self.repaired_by_reason = dict(source_report.repaired_by_reason)
        self.read_by_file = dict(source_report.read_by_file)
        self.n_dropped, self.n_repaired = source_report.n_dropped, source_report.n_repaired

    def summary(self) -> str:
        if self.bulk:
            return (f"{self.source}: {self.status} (bulk import); {self.rows_read} rows read, "
                    f"{self.counts.nodes_created} nodes and {self.counts.relationships_created} relationships "
                    f"imported; {self._problems()}")
        rels = sum(v for k, v in self.counts.rows.items() if k.isupper())
        nodes = sum(v for k, v in self.counts.rows.items() if not k.isupper())
        linked = (f"; {self.targets_linked} target symbols left unresolved by earlier compound loads linked"
                  if self.targets_linked else "")
        return (f"{self.source}: {self.status}; {self.rows_read} rows read, {nodes} node rows and {rels} "
                f"relationship rows written ({self.counts.nodes_created} nodes and "
                f"{self.counts.relationships_created} relationships new); {self._problems()}{linked}")

    def _problems(self) -> str:
        return f"{self.n_dropped} dropped{_reasons(self.dropped_by_reason)}, " \
               f"{self.n_repaired} repaired{_reasons(self.repaired_by_reason)}"

    def details(self) -> list[str]:
        """Exact counts per file and per label / relationship type, one line each (for the CLI)."""
        out = [f"read {n} rows from {path}" for path, n in self.read_by_file.items()]
        out += [f"wrote {n} {name} rows" for name, n in sorted(self.counts.rows.items())]
        return out

    def metrics(self) -> dict[str, Any]:
        """The exact counts as Run metrics (the report lines capped at :data:`MAX_REPORTED`)."""
        return {"rows_read": self.rows_read, "rows_read_by_file": dict(self.read_by_file),
                "rows_written": dict(self.counts.rows), "nodes_created": self.counts.nodes_created,
                "relationships_created": self.counts.relationships_created,
                "dropped": self.n_dropped, "repaired": self.n_repaired, "targets_linked": self.targets_linked,
                "dropped_by_reason": dict(self.dropped_by_reason),
                "repaired_by_reason": dict(self.repaired_by_reason),
                "dropped_lines": self.dropped[:MAX_REPORTED], "repaired_lines": self.repaired[:MAX_REPORTED]}


def _reasons(by_reason: dict[str, int]) -> str:
    if not by_reason:
        return ""
    return " (" + ", ".join(f"{reason}: {n}" for reason, n in sorted(by_reason.items(), key=lambda kv: -kv[1])) + ")"
