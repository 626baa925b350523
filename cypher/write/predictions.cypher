// Predictions of a train run: one node per (run, compound, rank) with its MoA, score and split.
UNWIND $rows AS row
MATCH (r:Run {run_id: $run_id})
MATCH (c:Compound {pert_id: row.pert_id})
MATCH (m:MoA {name: row.moa})
MERGE (p:Prediction {prediction_id: row.prediction_id})
SET p.run_id = $run_id, p.score = row.score, p.rank = row.rank, p.split = row.split, p.correct = row.correct,
    p.level = 'compound'
MERGE (r)-[:PREDICTED]->(p)
MERGE (p)-[:FOR]->(c)
MERGE (p)-[:OF_MOA]->(m)
