// Which substructures of compound $compound drive its predicted change of gene $gene in cell line
// $cell? The EXPLAINS edges of an expression explain run (Integrated Gradients on the fingerprint,
// mapped to atoms and scored per substructure; positive: pushes the gene in its predicted
// direction), best first, with the predicted z-score of the gene.
// param $compound: pert_id or name
// param $gene: gene symbol or Entrez id (as a string)
// param $cell: cell line name
// param $run = null: explain run id; null picks the newest run that explained the pair
// param $limit = 10: rows
MATCH (c:Compound) WHERE c.pert_id = $compound OR c.name = $compound
MATCH (g:Gene) WHERE g.symbol = $gene OR toString(g.entrez_id) = $gene
MATCH (c)<-[:FOR]-(p:ExpressionPrediction {cell: $cell})<-[e:EXPLAINS]-(:Substructure)
WHERE e.gene = g.entrez_id AND ($run IS NULL OR e.run_id = $run)
WITH c, g, coalesce($run, max(e.run_id)) AS run
MATCH (c)<-[:FOR]-(p:ExpressionPrediction {cell: $cell})<-[e:EXPLAINS {run_id: run}]-(s:Substructure)
WHERE e.gene = g.entrez_id
OPTIONAL MATCH (c)-[pe:PREDICTED_EFFECT {run_id: p.run_id, cell: $cell}]->(g)
RETURN c.pert_id AS compound, g.symbol AS gene, $cell AS cell, e.rank AS rank, s.smarts AS smarts, s.name AS name,
       round(e.score, 5) AS score, round(pe.z, 4) AS predicted, run
ORDER BY rank LIMIT $limit
