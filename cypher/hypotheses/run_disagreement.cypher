// Where do two explain runs disagree? For every prediction both runs explain: the Jaccard overlap
// of their top-$top genes and the genes only one run ranks there, least overlap first.
// param $run_a: explain run id, as `kgtool runs --kind explain` lists them
// param $run_b: the other explain run id
// param $top = 20: top genes compared per prediction
// param $limit = 20: rows
MATCH (g:Gene)-[e:EXPLAINS]->(p:Prediction) WHERE e.run_id = $run_a AND e.rank <= $top
WITH p, collect(coalesce(g.symbol, toString(g.entrez_id))) AS a
WITH collect({p: p, a: a}) AS side_a
// the second run is looked up by its own index seek, then joined on the prediction
MATCH (g:Gene)-[e:EXPLAINS]->(p:Prediction) WHERE e.run_id = $run_b AND e.rank <= $top
WITH side_a, p, collect(coalesce(g.symbol, toString(g.entrez_id))) AS b
UNWIND side_a AS x
WITH x.a AS a, p, b WHERE x.p = p
WITH p, a, b, [y IN a WHERE y IN b] AS shared
MATCH (p)-[:FOR]->(c:Compound)
MATCH (p)-[:OF_MOA]->(m:MoA)
RETURN c.pert_id AS compound, m.name AS moa, p.prediction_id AS prediction_id,
       round(toFloat(size(shared)) / (size(a) + size(b) - size(shared)), 3) AS jaccard,
       [y IN a WHERE NOT y IN b] AS only_a, [y IN b WHERE NOT y IN a] AS only_b
ORDER BY jaccard, compound LIMIT $limit
