// Which GO pathways explain the predictions of an MoA across compounds? Counts top-attributed
// genes (rank <= $top) per GO term over all rank-1 predictions of MoA $moa in the newest completed
// explain run.
// param $moa: MoA name
// param $top = 20: genes per prediction considered (attribution rank <= top)
// param $limit = 20: rows
CALL () {
  MATCH (r:Run {kind: 'explain'}) WHERE r.status = 'completed'
  RETURN r.run_id AS run ORDER BY r.started_at DESC LIMIT 1
}
MATCH (g:Gene)-[e:EXPLAINS]->(p:Prediction {rank: 1})-[:OF_MOA]->(:MoA {name: $moa})
WHERE e.run_id = run AND e.rank <= $top
MATCH (g)-[:ANNOTATED_WITH]->(t:GOTerm)
RETURN t.go_id AS go_id, t.name AS pathway, count(DISTINCT p) AS predictions, count(DISTINCT g) AS genes,
       round(sum(e.score), 3) AS attribution
ORDER BY genes DESC, attribution DESC LIMIT $limit
