// Gene attributions of an explain run: one EXPLAINS edge per (gene, prediction, run).
UNWIND $rows AS row
MATCH (p:Prediction {prediction_id: row.prediction_id})
MATCH (g:Gene {entrez_id: row.entrez_id})
MERGE (g)-[e:EXPLAINS {run_id: $run_id}]->(p)
SET e.score = row.score, e.rank = row.rank, e.method = $method
