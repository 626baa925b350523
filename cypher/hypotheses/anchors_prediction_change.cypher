// How did the new cell line's predictions change once the model was fine-tuned on the anchors? Per
// compound of cell line $cell that the anchors run predicted before (stage 'pretrained') and after
// (stage 'fine_tuned') fine-tuning: each stage's Pearson correlation with the measured consensus
// (null when the compound was not profiled there) and the change, largest gain first.
// param $cell: cell line name
// param $run = null: anchors run id; null picks the newest anchors run with predictions in $cell
// param $limit = 30: rows
MATCH (r:Run)-[:PREDICTED]->(p:ExpressionPrediction {cell: $cell, stage: 'fine_tuned'})
WHERE $run IS NULL OR r.run_id = $run
WITH coalesce($run, max(r.run_id)) AS run
MATCH (after:ExpressionPrediction {run_id: run, cell: $cell, stage: 'fine_tuned'})-[:FOR]->(c:Compound)
MATCH (before:ExpressionPrediction {run_id: run, cell: $cell, stage: 'pretrained'})-[:FOR]->(c)
RETURN c.pert_id AS compound, c.name AS name, before.measured_pearson AS pretrained_pearson,
       after.measured_pearson AS fine_tuned_pearson,
       CASE WHEN before.measured_pearson IS NULL OR after.measured_pearson IS NULL THEN null
            ELSE round(after.measured_pearson - before.measured_pearson, 4) END AS gain, run
ORDER BY gain DESC, compound LIMIT $limit
