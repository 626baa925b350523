// Which compounds share an explaining pathway with compound $compound? The GO terms among the top
// $top terms of its rank-1 explanation (q-value <= $max_q) in one explain run, and every other
// compound whose rank-1 prediction has the same term there, in the same run.
// param $compound: pert_id or name
// param $run = null: explain run id; null picks the newest run that explained the compound
// param $top = 5: top GO terms per explanation
// param $max_q = 0.05: largest enrichment q-value
// param $limit = 20: rows
MATCH (c:Compound) WHERE c.pert_id = $compound OR c.name = $compound
MATCH (c)<-[:FOR]-(p:Prediction {rank: 1})<-[e:EXPLAINS]-(:GOTerm)
WHERE $run IS NULL OR e.run_id = $run
WITH c, p, e.run_id AS run ORDER BY run DESC LIMIT 1
MATCH (t:GOTerm)-[e:EXPLAINS]->(p) WHERE e.run_id = run AND e.rank <= $top AND e.q_value <= $max_q
MATCH (t)-[e2:EXPLAINS]->(p2:Prediction)
WHERE e2.run_id = run AND p2 <> p AND e2.rank <= $top AND e2.q_value <= $max_q
MATCH (p2)-[:FOR]->(other:Compound)
MATCH (p2)-[:OF_MOA]->(m:MoA)
RETURN t.go_id AS go_id, t.name AS pathway, e.rank AS rank_here, other.pert_id AS compound,
       other.name AS name, m.name AS predicted_moa, e2.rank AS rank_there, e2.q_value AS q_value, run AS explain_run
ORDER BY rank_here, rank_there, compound LIMIT $limit
