// Network-edge attributions of an explain run (edge masks of graph models): one EXPLAINS_EDGE per
// (STRING gene pair, prediction, run), from the smaller Entrez id to the larger. Grouped rows as in
// write/explains_genes; cleared first (write/explains_clear_edges).
// Parameters: $run_id, $method, $groups [{prediction_id, entrez_a, entrez_b, score, rank}].
UNWIND $groups AS grp
UNWIND range(0, size(grp.rank) - 1) AS i
MATCH (a:Gene {entrez_id: grp.entrez_a[i]})
MATCH (b:Gene {entrez_id: grp.entrez_b[i]})
CREATE (a)-[:EXPLAINS_EDGE {run_id: $run_id, prediction_id: grp.prediction_id, method: $method,
                            score: grp.score[i], rank: grp.rank[i]}]->(b)
