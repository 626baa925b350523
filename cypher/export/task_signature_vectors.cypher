// One page of the paged export: the z-vectors of the given signatures, looked up one by one on the
// Signature.sig_id uniqueness constraint's index (no scan, no sort). Parameters: $sig_ids.
UNWIND $sig_ids AS sig_id
MATCH (s:Signature {sig_id: sig_id})
RETURN s.sig_id AS sig_id, s.z AS z
