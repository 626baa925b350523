// Signature-level predictions of a train run (kgtool train --predict-level signature|both): one
// node per (run, signature, rank) with its MoA, score and split.
UNWIND $rows AS row
MATCH (r:Run {run_id: $run_id})
MATCH (s:Signature {sig_id: row.sig_id})
MATCH (m:MoA {name: row.moa})
MERGE (p:Prediction {prediction_id: row.prediction_id})
SET p.run_id = $run_id, p.score = row.score, p.rank = row.rank, p.split = row.split, p.correct = row.correct,
    p.level = 'signature'
MERGE (r)-[:PREDICTED]->(p)
MERGE (p)-[:FOR]->(s)
MERGE (p)-[:OF_MOA]->(m)
