// Training rows without their vectors (the paged export reads those by sig_id afterwards, see
// export/task_signature_vectors): compound signatures that have a z-vector, with the compound, the
// MoA labels of the compound (empty = unlabelled), cell line (empty when unknown), level
// ('signature' for a loaded signature, 'consensus' for a per-compound-per-cell consensus) and the
// signature loader's QC metadata (qc_pass, cc_q75; null when absent), in sig_id order. The same
// rows, in the same order, as export/task_signatures, less the z column.
MATCH (s:Signature)-[:OF_COMPOUND]->(c:Compound)
WHERE s.z IS NOT NULL
OPTIONAL MATCH (c)-[:HAS_MOA]->(m:MoA)
WITH s, c, collect(m.name) AS moas
OPTIONAL MATCH (s)-[:IN_CELL]->(cell:CellLine)
WITH s, c, moas, min(cell.name) AS cell
RETURN s.sig_id AS sig_id, c.pert_id AS pert_id, moas, coalesce(cell, '') AS cell,
       coalesce(s.level, 'signature') AS level, s.qc_pass AS qc_pass, s.cc_q75 AS cc_q75
ORDER BY sig_id
