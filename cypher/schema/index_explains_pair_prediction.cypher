// Gene-pair interactions (INTERACTS_IN_EXPLANATION) are looked up by the prediction they explain.
CREATE INDEX explains_pair_prediction IF NOT EXISTS FOR ()-[e:INTERACTS_IN_EXPLANATION]-() ON (e.prediction_id)
