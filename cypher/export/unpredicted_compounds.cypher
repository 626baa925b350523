// Compounds with signatures that have no prediction in the given train run yet.
MATCH (c:Compound)
WHERE EXISTS { MATCH (c)<-[:OF_COMPOUND]-(s:Signature) WHERE s.z IS NOT NULL }
  AND NOT EXISTS { MATCH (:Run {run_id: $run_id})-[:PREDICTED]->(:Prediction)-[:FOR]->(c) }
RETURN c.pert_id AS pert_id
ORDER BY pert_id
