// Network-edge attributions (EXPLAINS_EDGE) are looked up by the prediction they explain.
CREATE INDEX explains_edge_prediction IF NOT EXISTS FOR ()-[e:EXPLAINS_EDGE]-() ON (e.prediction_id)
