// Remove the EXPLAINS_EDGE edges an explain run wrote, before they are written again.
// Parameters: $run_id.
MATCH (:Gene)-[e:EXPLAINS_EDGE]->(:Gene)
WHERE e.run_id = $run_id
CALL (e) { DELETE e } IN TRANSACTIONS OF 10000 ROWS
