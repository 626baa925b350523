// Which compounds never profiled in cell line $cell are predicted to move gene $gene there? The
// expression run's PREDICTED_EFFECT edges into the gene, strongest first, for compounds with no
// signature in that cell line (the candidates a lab would profile next).
// param $gene: gene symbol or Entrez id (as a string)
// param $cell: cell line name
// param $direction = "down": down or up
// param $run = null: expression train run id; null picks the newest run with predictions in $cell
// param $limit = 25: rows
MATCH (g:Gene) WHERE g.symbol = $gene OR toString(g.entrez_id) = $gene
MATCH (c:Compound)-[e:PREDICTED_EFFECT]->(g)
WHERE e.cell = $cell AND e.direction = $direction AND ($run IS NULL OR e.run_id = $run)
WITH g, collect({c: c, e: e}) AS hits, max(e.run_id) AS newest
UNWIND hits AS h
WITH g, h.c AS c, h.e AS e WHERE e.run_id = coalesce($run, newest)
  AND NOT EXISTS { MATCH (c)<-[:OF_COMPOUND]-(:Signature)-[:IN_CELL]->(:CellLine {name: $cell}) }
RETURN c.pert_id AS compound, c.name AS name, g.symbol AS gene, $cell AS cell, round(e.z, 4) AS predicted,
       e.class AS class, e.rank AS rank, e.run_id AS run
ORDER BY abs(e.z) DESC, compound LIMIT $limit
