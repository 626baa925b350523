// Candidate new targets for MoA $moa: genes with the highest summed attribution over the rank-1
// predictions of that MoA in one explain run that are not known TARGETS of any compound with the
// MoA but lie 1 or 2 STRING hops from one (hops = the shortest distance, near_targets = those
// targets).
// param $moa: MoA name
// param $run = null: explain run id; null picks the newest completed explain run
// param $limit = 20: rows
CALL () {
  MATCH (r:Run {kind: 'explain'}) WHERE r.status = 'completed'
  RETURN r.run_id AS newest ORDER BY r.started_at DESC LIMIT 1
}
WITH coalesce($run, newest) AS run
MATCH (m:MoA {name: $moa})
CALL (m) {
  OPTIONAL MATCH (m)<-[:HAS_MOA]-(:Compound)-[:TARGETS]->(t:Gene)
  RETURN collect(DISTINCT t) AS targets
}
MATCH (g:Gene)-[e:EXPLAINS]->(p:Prediction)-[:OF_MOA]->(m)
USING INDEX e:EXPLAINS(run_id)
WHERE e.run_id = run AND p.rank = 1 AND NOT g IN targets
WITH run, targets, g, sum(e.score) AS attribution, count(DISTINCT p) AS predictions, min(e.rank) AS best_rank
CALL (g, targets) {
  OPTIONAL MATCH path = (g)-[:INTERACTS_WITH]-{1,2}(t:Gene) WHERE t IN targets
  RETURN min(length(path)) AS hops, collect(DISTINCT t.symbol)[..5] AS near_targets
}
WITH run, g, attribution, predictions, best_rank, hops, near_targets WHERE hops IS NOT NULL
RETURN g.entrez_id AS entrez_id, g.symbol AS gene, round(attribution, 4) AS attribution, predictions,
       best_rank, hops, near_targets, run AS explain_run
ORDER BY attribution DESC, entrez_id LIMIT $limit
