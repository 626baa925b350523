// Runs, newest first, optionally of one kind.
MATCH (r:Run) WHERE $kind IS NULL OR r.kind = $kind
RETURN r.run_id AS run_id, r.kind AS kind, r.plugin AS plugin, r.status AS status, r.metrics AS metrics
ORDER BY r.started_at DESC, r.run_id DESC LIMIT $limit
