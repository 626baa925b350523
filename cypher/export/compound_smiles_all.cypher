// Canonical SMILES of every compound that has one, profiled or not: the compounds an expression run
// can predict (the grid of `kgtool train` for expression models).
MATCH (c:Compound)
WHERE c.smiles IS NOT NULL AND c.smiles <> ''
RETURN c.pert_id AS pert_id, c.smiles AS smiles
ORDER BY pert_id
