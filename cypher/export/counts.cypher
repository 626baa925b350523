// Node counts per label and relationship counts per type, for status and idempotence checks.
CALL () { MATCH (n) UNWIND labels(n) AS name RETURN 'node' AS kind, name, count(*) AS count
  UNION ALL MATCH ()-[r]->() RETURN 'rel' AS kind, type(r) AS name, count(*) AS count }
RETURN kind, name, count ORDER BY kind, name
