// Which of the given compounds already have a prediction in the given train run.
MATCH (:Run {run_id: $run_id})-[:PREDICTED]->(:Prediction)-[:FOR]->(c:Compound)
WHERE c.pert_id IN $pert_ids
RETURN DISTINCT c.pert_id AS pert_id
ORDER BY pert_id
