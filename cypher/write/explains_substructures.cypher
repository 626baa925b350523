// Substructure attributions of an explain run (structure-using models): one EXPLAINS edge per
// (Substructure, prediction, run). Grouped rows as in write/explains_genes; cleared first.
// Parameters: $run_id, $method, $groups [{prediction_id, smarts, score, rank}].
UNWIND $groups AS grp
MATCH (p:Prediction {prediction_id: grp.prediction_id})
UNWIND range(0, size(grp.rank) - 1) AS i
MATCH (s:Substructure {smarts: grp.smarts[i]})
CREATE (s)-[:EXPLAINS {run_id: $run_id, method: $method, score: grp.score[i], rank: grp.rank[i]}]->(p)
