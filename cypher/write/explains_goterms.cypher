// Pathway attributions of an explain run: one EXPLAINS edge per (GO term, prediction, run) with
// the term's score (mean gene attribution), rank, enrichment p-value, BH q-value and hits (term
// genes among the top attributed genes). Grouped rows as in write/explains_genes; cleared first.
// Parameters: $run_id, $method, $groups [{prediction_id, go_id, score, rank, p_value, q_value, hits}].
UNWIND $groups AS grp
MATCH (p:Prediction {prediction_id: grp.prediction_id})
UNWIND range(0, size(grp.rank) - 1) AS i
MATCH (t:GOTerm {go_id: grp.go_id[i]})
CREATE (t)-[:EXPLAINS {run_id: $run_id, method: $method, score: grp.score[i], rank: grp.rank[i],
                       p_value: grp.p_value[i], q_value: grp.q_value[i], hits: grp.hits[i]}]->(p)
