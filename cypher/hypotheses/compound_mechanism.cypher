// Why is a compound predicted its top MoA? The GO pathways shared by its most attributed genes
// (latest explain run), with how many of those genes are its known targets.
// param $compound: pert_id or name
// param $top = 20: most attributed genes considered
// param $limit = 20: rows
MATCH (c:Compound)<-[:FOR]-(p:Prediction {rank: 1})-[:OF_MOA]->(m:MoA)
WHERE c.pert_id = $compound OR c.name = $compound
MATCH (g:Gene)-[e:EXPLAINS]->(p)
WITH c, m, p, e.run_id AS explain_run, collect({gene: g, rank: e.rank}) AS explained
ORDER BY explain_run DESC LIMIT 1
UNWIND explained AS x
WITH c, m, p, x ORDER BY x.rank LIMIT $top
WITH c, m, p, x.gene AS g
MATCH (g)-[:ANNOTATED_WITH]->(t:GOTerm)
WITH c, m, p, t, collect(g.symbol) AS genes, count(CASE WHEN (c)-[:TARGETS]->(g) THEN 1 END) AS targets
RETURN c.name AS compound, m.name AS predicted_moa, round(p.score, 3) AS score, t.go_id AS go_id,
       t.name AS pathway, size(genes) AS n_genes, targets AS known_targets, genes
ORDER BY n_genes DESC, go_id LIMIT $limit
