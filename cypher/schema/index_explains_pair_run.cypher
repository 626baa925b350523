// Gene-pair interactions (INTERACTS_IN_EXPLANATION) are cleared by the explain run that wrote them.
CREATE INDEX explains_pair_run IF NOT EXISTS FOR ()-[e:INTERACTS_IN_EXPLANATION]-() ON (e.run_id)
