// Substructure attributions of an expression explain run: one EXPLAINS edge per (Substructure,
// ExpressionPrediction, gene), the gene's Entrez id on the edge. The run is new, so edges are CREATEd.
// Parameters: $run_id, $method, $rows [{prediction_id, entrez_id, smarts, score, rank}].
UNWIND $rows AS row
MATCH (p:ExpressionPrediction {prediction_id: row.prediction_id})
MATCH (s:Substructure {smarts: row.smarts})
CREATE (s)-[:EXPLAINS {run_id: $run_id, method: $method, gene: row.entrez_id, score: row.score, rank: row.rank}]->(p)
