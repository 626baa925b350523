// One run's node properties.
MATCH (r:Run {run_id: $run_id}) RETURN properties(r) AS run
