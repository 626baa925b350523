// Read by bench/export.py: the number of signatures that carry a z-vector (is the benchmark's graph loaded?).
MATCH (s:Signature) WHERE s.z IS NOT NULL RETURN count(s) AS n
