// Gene sets for pathway-level explanations: each GO term with the landmark genes annotated to it.
MATCH (g:Gene)-[:ANNOTATED_WITH]->(t:GOTerm)
WHERE g.is_landmark = true
RETURN t.go_id AS go_id, t.name AS name, collect(DISTINCT g.entrez_id) AS genes
ORDER BY go_id
