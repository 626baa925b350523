// The explanation subgraph behind a compound's rank-1 prediction, as paths for Neo4j Browser's graph
// view: compound -FOR- Prediction -OF_MOA-> MoA, the top $genes Genes and top $terms GOTerms with their
// EXPLAINS edges (captioned by score in toolkit/browser/kgtool.grass), and the compound's known TARGETS.
// Adapted from cypher/hypotheses/why_predicted.cypher (same run choice: the newest explain run that
// explained the compound). In Browser, set each with :param first (e.g. :param genes => 6).
// param $compound: pert_id or name
// param $genes = 6: top attributed genes drawn
// param $terms = 2: top GO terms drawn
MATCH (c:Compound) WHERE c.pert_id = $compound OR c.name = $compound
MATCH (c)<-[:FOR]-(p:Prediction {rank: 1})<-[e0:EXPLAINS]-()
WITH c, p, e0.run_id AS run ORDER BY run DESC LIMIT 1
MATCH core = (c)<-[:FOR]-(p)-[:OF_MOA]->(:MoA)
CALL (p, run) {
  MATCH ev = (:Gene)-[e:EXPLAINS {run_id: run}]->(p) WHERE e.rank <= $genes RETURN ev
  UNION
  MATCH ev = (:GOTerm)-[e:EXPLAINS {run_id: run}]->(p) WHERE e.rank <= $terms RETURN ev
}
OPTIONAL MATCH target = (c)-[:TARGETS]->(:Gene)
RETURN core, ev, target
