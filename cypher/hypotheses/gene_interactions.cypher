// Which gene pairs act together in the explanation of compound $compound? Paired-ablation
// interactions (INTERACTS_IN_EXPLANATION) of its rank-1 prediction in one explain run, strongest
// first, with whether the pair is also a STRING interaction.
// param $compound: pert_id or name
// param $run = null: explain run id; null picks the newest run that explained the compound
// param $limit = 20: rows
MATCH (c:Compound) WHERE c.pert_id = $compound OR c.name = $compound
MATCH (c)<-[:FOR]-(p:Prediction {rank: 1})
MATCH (a:Gene)-[i:INTERACTS_IN_EXPLANATION {prediction_id: p.prediction_id}]->(b:Gene)
WHERE $run IS NULL OR i.run_id = $run
WITH c, p, i.run_id AS run ORDER BY run DESC LIMIT 1
MATCH (a:Gene)-[i:INTERACTS_IN_EXPLANATION {prediction_id: p.prediction_id}]->(b:Gene)
WHERE i.run_id = run
RETURN c.pert_id AS compound, a.symbol AS gene_a, b.symbol AS gene_b, round(i.score, 4) AS interaction,
       round(i.joint, 4) AS joint_effect, EXISTS { (a)-[:INTERACTS_WITH]-(b) } AS string_edge, run AS explain_run
ORDER BY abs(i.score) DESC, gene_a, gene_b LIMIT $limit
