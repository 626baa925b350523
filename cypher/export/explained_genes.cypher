// The gene attributions an explain run wrote, with the compound each prediction is for.
MATCH (g:Gene)-[e:EXPLAINS {run_id: $run_id}]->(p:Prediction)-[:FOR]->(c:Compound)
MATCH (p)-[:OF_MOA]->(m:MoA)
RETURN c.pert_id AS pert_id, m.name AS moa, g.entrez_id AS entrez_id, e.rank AS rank, e.score AS score
ORDER BY pert_id, rank
