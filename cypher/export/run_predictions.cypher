// The predictions of one train run (optionally of one rank) with their compound and MoA.
MATCH (:Run {run_id: $run_id})-[:PREDICTED]->(p:Prediction)-[:FOR]->(c:Compound)
WHERE $rank IS NULL OR p.rank = $rank
MATCH (p)-[:OF_MOA]->(m:MoA)
RETURN p.prediction_id AS prediction_id, c.pert_id AS pert_id, m.name AS moa, p.score AS score,
       p.rank AS rank, p.split AS split
ORDER BY pert_id, rank
