// Structures of the compounds whose predictions are explained: canonical SMILES and the SMARTS of
// their HAS_SUBSTRUCTURE nodes. Parameters: $pert_ids.
UNWIND $pert_ids AS pert_id
MATCH (c:Compound {pert_id: pert_id})
OPTIONAL MATCH (c)-[:HAS_SUBSTRUCTURE]->(s:Substructure)
RETURN c.pert_id AS pert_id, c.smiles AS smiles, collect(s.smarts) AS smarts
ORDER BY pert_id
