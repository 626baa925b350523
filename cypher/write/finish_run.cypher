// Mark a run completed or failed and store its final properties (metrics, report).
MATCH (r:Run {run_id: $run_id})
SET r += $props, r.status = $status, r.finished_at = datetime()
