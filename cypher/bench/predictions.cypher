// Read by bench/explain.py: every prediction with its compound and MoA (the synthetic runs explain them).
MATCH (p:Prediction)-[:FOR]->(c:Compound) MATCH (p)-[:OF_MOA]->(m:MoA)
RETURN p.prediction_id AS prediction_id, c.pert_id AS pert_id, m.name AS moa
