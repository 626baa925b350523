// Why is compound $compound predicted its MoA? One explain run's evidence for its rank-1
// prediction(s), one row per item, best first within each kind: 'gene' (top attributed genes;
// detail marks known TARGETS), 'pathway' (GO terms, with enrichment q-value), 'substructure'
// (structure-using models), 'target_path' (shortest STRING path, at most 2 hops, from a top gene
// to one of the compound's known targets; detail lists the genes on it).
// param $compound: pert_id or name
// param $run = null: explain run id; null picks the newest run that explained the compound
// param $top = 10: rows per kind
MATCH (c:Compound) WHERE c.pert_id = $compound OR c.name = $compound
MATCH (c)<-[:FOR]-(p:Prediction {rank: 1})<-[e:EXPLAINS]-()
WHERE $run IS NULL OR e.run_id = $run
WITH c, p, e.run_id AS run ORDER BY run DESC LIMIT 1
MATCH (p)-[:OF_MOA]->(m:MoA)
// the run's edges into p, expanded from p (a pattern comprehension starts at the bound node)
WITH c, m, run, [(p)<-[e:EXPLAINS]-(x) WHERE e.run_id = run | {x: x, e: e}] AS items
CALL (c, items) {
  UNWIND items AS it
  WITH c, it.x AS g, it.e AS e WHERE g:Gene
  RETURN 'gene' AS kind, e.rank AS rank, toString(g.entrez_id) AS id, g.symbol AS name, e.score AS score,
         null AS q_value, CASE WHEN (c)-[:TARGETS]->(g) THEN 'known target' ELSE '' END AS detail
  ORDER BY rank LIMIT $top
  UNION ALL
  UNWIND items AS it
  WITH it.x AS t, it.e AS e WHERE t:GOTerm
  RETURN 'pathway' AS kind, e.rank AS rank, t.go_id AS id, t.name AS name, e.score AS score,
         e.q_value AS q_value, toString(e.hits) + ' of the top genes' AS detail
  ORDER BY rank LIMIT $top
  UNION ALL
  UNWIND items AS it
  WITH it.x AS s, it.e AS e WHERE s:Substructure
  RETURN 'substructure' AS kind, e.rank AS rank, s.smarts AS id, s.name AS name, e.score AS score,
         null AS q_value, '' AS detail
  ORDER BY rank LIMIT $top
  UNION ALL
  UNWIND items AS it
  WITH c, it.x AS g, it.e AS e WHERE g:Gene AND e.rank <= $top
  MATCH (c)-[:TARGETS]->(t:Gene) WHERE t <> g
  MATCH path = shortestPath((g)-[:INTERACTS_WITH*..2]-(t))
  WITH g, e, t, path ORDER BY length(path), t.entrez_id
  WITH g, e, head(collect(path)) AS path
  RETURN 'target_path' AS kind, e.rank AS rank, toString(g.entrez_id) AS id, g.symbol AS name, e.score AS score,
         null AS q_value, reduce(s = '', n IN nodes(path) | s + CASE WHEN s = '' THEN '' ELSE ' - ' END
         + coalesce(n.symbol, toString(n.entrez_id))) AS detail
  ORDER BY rank LIMIT $top
}
RETURN c.pert_id AS compound, m.name AS predicted_moa, run AS explain_run, kind, rank, id, name,
       round(score, 4) AS score, q_value, detail
