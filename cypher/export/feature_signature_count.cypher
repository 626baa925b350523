// How many signatures feed the gene features ($sig_ids null = every compound signature with a z-vector).
MATCH (s:Signature)-[:OF_COMPOUND]->(:Compound)
WHERE s.z IS NOT NULL AND ($sig_ids IS NULL OR s.sig_id IN $sig_ids)
RETURN count(DISTINCT s) AS signatures
