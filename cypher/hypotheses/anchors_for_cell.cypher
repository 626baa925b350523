// Which anchor drugs did an anchors run choose for cell line $cell, and why? One row per pick in
// pick order: round, acquisition score, the compound's MoAs and scaffold, and how many distinct MoAs
// and scaffolds the anchors cover up to and including this pick (coverage of the chemical and
// mechanistic space the lab would profile).
// param $cell: cell line name
// param $run = null: anchors run id; null picks the newest anchors run for the cell line
// param $strategy = null: strategy name (a simulation may compare several); null: all of the run's
// param $seed = null: simulation seed; null: the selection for a lab (seed null) or, in a simulation, seed 0
// param $limit = 100: rows
MATCH (:Compound)-[e:ANCHOR_FOR]->(:CellLine {name: $cell})
WHERE $run IS NULL OR e.run_id = $run
WITH coalesce($run, max(e.run_id)) AS run
MATCH (c:Compound)-[e:ANCHOR_FOR {run_id: run}]->(:CellLine {name: $cell})
WHERE ($strategy IS NULL OR e.strategy = $strategy)
  AND (CASE WHEN $seed IS NULL THEN coalesce(e.seed, 0) = 0 ELSE e.seed = $seed END)
OPTIONAL MATCH (c)-[:HAS_MOA]->(m:MoA)
WITH run, e, c, collect(m.name) AS moas
ORDER BY e.strategy, e.rank
WITH run, e.strategy AS strategy, collect({e: e, c: c, moas: moas}) AS picks
UNWIND range(0, size(picks) - 1) AS i
WITH run, strategy, picks, i, picks[i] AS p
WITH run, strategy, p, [x IN picks[0..i + 1] | x.moas] AS seen_moas, [x IN picks[0..i + 1] | x.c.scaffold] AS seen_scaffolds
RETURN run, strategy, p.e.rank AS rank, p.e.round AS round, p.c.pert_id AS compound, p.c.name AS name,
       round(p.e.score, 4) AS score, p.moas AS moas, p.c.scaffold AS scaffold,
       size(reduce(acc = [], ms IN seen_moas | acc + [x IN ms WHERE NOT x IN acc])) AS moas_covered,
       size(reduce(acc = [], s IN seen_scaffolds | CASE WHEN s IS NULL OR s = '' OR s IN acc THEN acc ELSE acc + [s] END))
         AS scaffolds_covered
LIMIT $limit
