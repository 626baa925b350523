// Create (or restart) a run in state 'running' with its provenance.
MERGE (r:Run {run_id: $run_id})
SET r += $props, r.status = 'running', r.started_at = datetime()
