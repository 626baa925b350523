// Gene attributions of an explain run: one EXPLAINS edge per (gene, prediction, run). Rows come
// grouped by prediction with one list per field ($groups [{prediction_id, entrez_id: [...],
// score: [...], rank: [...]}]). CREATE, not MERGE: the run's gene edges are cleared first
// (write/explains_clear), which keeps a rewrite idempotent at a cost independent of node degree.
// Parameters: $run_id, $method, $groups.
UNWIND $groups AS grp
MATCH (p:Prediction {prediction_id: grp.prediction_id})
UNWIND range(0, size(grp.rank) - 1) AS i
MATCH (g:Gene {entrez_id: grp.entrez_id[i]})
CREATE (g)-[:EXPLAINS {run_id: $run_id, method: $method, score: grp.score[i], rank: grp.rank[i]}]->(p)
