// Which of the given compounds have at least one signature with z-scores in the graph (any level).
// Parameters: $pert_ids.
UNWIND $pert_ids AS pert_id
MATCH (c:Compound {pert_id: pert_id})<-[:OF_COMPOUND]-(s:Signature)
WHERE s.z IS NOT NULL
RETURN DISTINCT c.pert_id AS pert_id
ORDER BY pert_id
