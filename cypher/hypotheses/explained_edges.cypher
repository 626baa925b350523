// Which STRING edges carry the prediction of compound $compound? Edge-mask attributions
// (EXPLAINS_EDGE, graph models) of its rank-1 prediction in one explain run, highest first, with
// the STRING score and whether each end is a known target of the compound.
// param $compound: pert_id or name
// param $run = null: explain run id; null picks the newest run that explained the compound
// param $limit = 20: rows
MATCH (c:Compound) WHERE c.pert_id = $compound OR c.name = $compound
MATCH (c)<-[:FOR]-(p:Prediction {rank: 1})
MATCH (:Gene)-[x:EXPLAINS_EDGE {prediction_id: p.prediction_id}]->(:Gene)
WHERE $run IS NULL OR x.run_id = $run
WITH c, p, x.run_id AS run ORDER BY run DESC LIMIT 1
MATCH (a:Gene)-[x:EXPLAINS_EDGE {prediction_id: p.prediction_id}]->(b:Gene)
WHERE x.run_id = run
OPTIONAL MATCH (a)-[s:INTERACTS_WITH]-(b)
RETURN c.pert_id AS compound, a.symbol AS gene_a, b.symbol AS gene_b, round(x.score, 4) AS mask,
       x.rank AS rank, s.score AS string_score, EXISTS { (c)-[:TARGETS]->(a) } AS a_is_target,
       EXISTS { (c)-[:TARGETS]->(b) } AS b_is_target, run AS explain_run
ORDER BY rank LIMIT $limit
