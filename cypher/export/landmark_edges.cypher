// STRING interactions among the landmark genes, once per stored pair (smaller Entrez id first).
MATCH (a:Gene)-[r:INTERACTS_WITH]->(b:Gene)
WHERE a.is_landmark = true AND b.is_landmark = true
RETURN a.entrez_id AS a, b.entrez_id AS b, r.score AS score
ORDER BY a, b
