// Signature-derived features of landmark genes: for each signature (sig_id order), the z-scores at
// the given landmark positions ($index into Signature.z); $sig_ids null = every compound signature.
MATCH (s:Signature)-[:OF_COMPOUND]->(:Compound)
WHERE s.z IS NOT NULL AND ($sig_ids IS NULL OR s.sig_id IN $sig_ids)
WITH DISTINCT s
RETURN s.sig_id AS sig_id, [i IN $index | s.z[i]] AS values
ORDER BY sig_id
