// Expression predictions of a train run ($run_id): one ExpressionPrediction node per (compound, cell
// line) with the full predicted vector `z` (genes in the order of the run's `gene_ids`, on the Run
// node), the split side, and the measured consensus' Pearson correlation with it where the compound
// was profiled in that cell; and the compound's top predicted genes there as PREDICTED_EFFECT edges
// (z: predicted z-score, or p_up - p_down for 3-class models; class: up/none/down; rank within the
// direction). `stage` (null for train runs) tells an anchors run's predictions before and after
// fine-tuning apart. The run is new, so its edges are CREATEd.
UNWIND $rows AS row
MATCH (r:Run {run_id: $run_id})
MATCH (c:Compound {pert_id: row.pert_id})
MERGE (p:ExpressionPrediction {prediction_id: row.prediction_id})
SET p.run_id = $run_id, p.cell = row.cell, p.z = row.z, p.split = row.split, p.measured_pearson = row.measured_pearson,
    p.stage = row.stage
MERGE (r)-[:PREDICTED]->(p)
MERGE (p)-[:FOR]->(c)
WITH c, p, row
OPTIONAL MATCH (line:CellLine {name: row.cell})
FOREACH (_ IN CASE WHEN line IS NULL THEN [] ELSE [1] END | MERGE (p)-[:IN_CELL]->(line))
WITH c, row
UNWIND row.top AS t
MATCH (g:Gene {entrez_id: t.entrez_id})
CREATE (c)-[:PREDICTED_EFFECT {run_id: $run_id, cell: row.cell, z: t.z, class: t.class, rank: t.rank,
                               direction: t.direction}]->(g)
