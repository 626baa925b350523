// The expression predictions of a train run ($run_id) on the given split sides ($splits: train,
// valid, test, unseen): the (compound, cell line) pair and its predicted vector, in a stable order.
MATCH (:Run {run_id: $run_id})-[:PREDICTED]->(p:ExpressionPrediction)-[:FOR]->(c:Compound)
WHERE p.split IN $splits AND p.stage IS NULL
RETURN p.prediction_id AS prediction_id, c.pert_id AS pert_id, p.cell AS cell, p.z AS z
ORDER BY pert_id, cell
