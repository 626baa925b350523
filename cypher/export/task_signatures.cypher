// Training rows: compound signatures with their z-vectors, cell line (empty when unknown) and the
// MoA labels of their compound (empty = unlabelled), in sig_id order. level: 'signature' for a
// loaded signature, 'consensus' for a per-compound-per-cell consensus (`kgtool load --consensus`).
// qc_pass (boolean) and cc_q75 (replicate correlation) are the signature loader's QC metadata,
// null when the signature has none.
MATCH (s:Signature)-[:OF_COMPOUND]->(c:Compound)
WHERE s.z IS NOT NULL
OPTIONAL MATCH (c)-[:HAS_MOA]->(m:MoA)
WITH s, c, collect(m.name) AS moas
OPTIONAL MATCH (s)-[:IN_CELL]->(cell:CellLine)
WITH s, c, moas, min(cell.name) AS cell
RETURN s.sig_id AS sig_id, c.pert_id AS pert_id, s.z AS z, moas, coalesce(cell, '') AS cell,
       coalesce(s.level, 'signature') AS level, s.qc_pass AS qc_pass, s.cc_q75 AS cc_q75
ORDER BY sig_id
