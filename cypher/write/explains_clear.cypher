// Remove the EXPLAINS edges an explain run wrote from nodes labelled $label (Gene, GOTerm or
// Substructure), before that level is written again. Uses the relationship index on run_id.
// Parameters: $run_id, $label.
MATCH (x)-[e:EXPLAINS]->(:Prediction)
WHERE e.run_id = $run_id AND $label IN labels(x)
CALL (e) { DELETE e } IN TRANSACTIONS OF 10000 ROWS
