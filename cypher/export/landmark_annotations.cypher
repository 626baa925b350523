// Direct GO annotations of the landmark genes (propagation up the DAG happens in Python).
MATCH (g:Gene)-[:ANNOTATED_WITH]->(t:GOTerm)
WHERE g.is_landmark = true
RETURN g.entrez_id AS entrez_id, t.go_id AS go_id
ORDER BY entrez_id, go_id
