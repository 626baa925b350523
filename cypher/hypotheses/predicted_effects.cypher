// Which genes is compound $compound predicted to move most in cell line $cell, next to what was
// measured? The run's top PREDICTED_EFFECT edges, with the measured z-score of the gene where the
// compound has signatures in that cell line (mean of their UPREGULATES/DOWNREGULATES top-k edges to
// the gene; null when the gene is not among a signature's top-k or the compound was not profiled).
// param $compound: pert_id or name
// param $cell: cell line name
// param $run = null: expression train run id; null picks the newest run with predictions for them
// param $limit = 30: rows
MATCH (c:Compound) WHERE c.pert_id = $compound OR c.name = $compound
MATCH (c)-[e:PREDICTED_EFFECT]->(:Gene)
WHERE e.cell = $cell AND ($run IS NULL OR e.run_id = $run)
WITH c, coalesce($run, max(e.run_id)) AS run
MATCH (c)-[e:PREDICTED_EFFECT]->(g:Gene) WHERE e.cell = $cell AND e.run_id = run
OPTIONAL MATCH (c)<-[:OF_COMPOUND]-(s:Signature)-[:IN_CELL]->(:CellLine {name: $cell})
OPTIONAL MATCH (s)-[m:UPREGULATES|DOWNREGULATES]->(g)
WITH c, g, e, run, count(DISTINCT s) AS profiled, avg(m.z) AS measured
RETURN c.pert_id AS compound, g.symbol AS gene, g.entrez_id AS entrez_id, e.direction AS direction,
       e.rank AS rank, round(e.z, 4) AS predicted, e.class AS class,
       CASE WHEN measured IS NULL THEN null ELSE round(measured, 4) END AS measured, profiled AS signatures, run
ORDER BY abs(e.z) DESC, gene LIMIT $limit
