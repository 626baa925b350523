// Remove the INTERACTS_IN_EXPLANATION edges an explain run wrote, before they are written again.
// Parameters: $run_id.
MATCH (:Gene)-[e:INTERACTS_IN_EXPLANATION]->(:Gene)
WHERE e.run_id = $run_id
CALL (e) { DELETE e } IN TRANSACTIONS OF 10000 ROWS
