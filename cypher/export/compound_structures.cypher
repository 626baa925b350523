// Canonical SMILES and Murcko scaffold of every compound that has a signature (empty when unknown).
MATCH (c:Compound)
WHERE EXISTS { MATCH (c)<-[:OF_COMPOUND]-(:Signature) }
RETURN c.pert_id AS pert_id, coalesce(c.smiles, '') AS smiles, coalesce(c.scaffold, '') AS scaffold
ORDER BY pert_id
