// Explanations are filtered by the explain run that wrote them.
CREATE INDEX explains_run IF NOT EXISTS FOR ()-[e:EXPLAINS]-() ON (e.run_id)
