// Compound signatures with their z-vectors and the MoA labels of their compound (empty = unlabelled).
MATCH (s:Signature)-[:OF_COMPOUND]->(c:Compound)
WHERE s.z IS NOT NULL
OPTIONAL MATCH (c)-[:HAS_MOA]->(m:MoA)
WITH s, c, collect(m.name) AS moas
RETURN s.sig_id AS sig_id, c.pert_id AS pert_id, s.z AS z, moas
ORDER BY sig_id
