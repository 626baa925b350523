// Where do two expression runs disagree? Per (compound, cell line) both runs predicted: the Pearson
// correlation of their full predicted vectors (ExpressionPrediction.z, same gene order when both runs
// used the same genes), least agreement first, with each run's split side.
// param $run_a: expression train run id, as `kgtool runs --kind train` lists them
// param $run_b: the other expression train run id
// param $limit = 20: rows
MATCH (a:ExpressionPrediction {run_id: $run_a})-[:FOR]->(c:Compound)
MATCH (b:ExpressionPrediction {run_id: $run_b})-[:FOR]->(c)
WHERE a.cell = b.cell AND size(a.z) = size(b.z)
WITH c, a, b, size(a.z) AS n,
     reduce(s = 0.0, x IN a.z | s + x) / size(a.z) AS ma, reduce(s = 0.0, x IN b.z | s + x) / size(b.z) AS mb
WITH c, a, b, reduce(acc = [0.0, 0.0, 0.0], i IN range(0, n - 1) |
       [acc[0] + (a.z[i] - ma) * (b.z[i] - mb), acc[1] + (a.z[i] - ma) ^ 2, acc[2] + (b.z[i] - mb) ^ 2]) AS s
RETURN c.pert_id AS compound, a.cell AS cell,
       CASE WHEN s[1] * s[2] > 0 THEN round(s[0] / sqrt(s[1] * s[2]), 4) ELSE null END AS pearson,
       a.split AS split_a, b.split AS split_b
ORDER BY pearson, compound LIMIT $limit
