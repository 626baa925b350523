// Anchor drugs an anchors run ($run_id) chose for cell line $cell: one ANCHOR_FOR edge per pick, with
// its rank (pick order), round, acquisition score, strategy and seed (simulations repeat the
// selection per seed; a selection for a real lab has seed null). The run is new, so the edges are
// CREATEd; the cell line is MERGEd (a new cell line may have no signature yet).
MATCH (r:Run {run_id: $run_id})
MERGE (line:CellLine {name: $cell})
WITH line
UNWIND $rows AS row
MATCH (c:Compound {pert_id: row.pert_id})
CREATE (c)-[:ANCHOR_FOR {run_id: $run_id, rank: row.rank, round: row.round, score: row.score,
                         strategy: row.strategy, seed: row.seed, simulated: row.simulated}]->(line)
