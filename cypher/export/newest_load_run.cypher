// The newest completed load run (run ids sort by time), or null when nothing was loaded.
MATCH (r:Run)
WHERE r.kind = 'load' AND r.status = 'completed'
RETURN max(r.run_id) AS run_id
