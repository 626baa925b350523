// Genes that most often explain rank-1 predictions (any run). Parameters: $limit.
MATCH (g:Gene)-[e:EXPLAINS]->(:Prediction {rank: 1})
RETURN g.symbol AS gene, g.entrez_id AS entrez_id, count(*) AS predictions, round(avg(e.score), 4) AS mean_score
ORDER BY predictions DESC, gene LIMIT $limit
