// Which GO pathways explain the predictions of an MoA across compounds? Counts top-attributed
// genes (rank <= $top) per GO term over all rank-1 predictions of MoA $moa.
// Parameters: $moa, $top, $limit.
MATCH (m:MoA {name: $moa})<-[:OF_MOA]-(p:Prediction {rank: 1})<-[e:EXPLAINS]-(g:Gene)
WHERE e.rank <= $top
MATCH (g)-[:ANNOTATED_WITH]->(t:GOTerm)
RETURN t.go_id AS go_id, t.name AS pathway, count(DISTINCT p) AS predictions, count(DISTINCT g) AS genes,
       round(sum(e.score), 3) AS attribution
ORDER BY genes DESC, attribution DESC LIMIT $limit
