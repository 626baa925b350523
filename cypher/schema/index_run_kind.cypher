// Runs are listed and filtered by kind (load, train, explain).
CREATE INDEX run_kind IF NOT EXISTS FOR (r:Run) ON (r.kind)
