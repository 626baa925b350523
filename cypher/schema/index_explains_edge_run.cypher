// Network-edge attributions (EXPLAINS_EDGE) are cleared and compared by the explain run that wrote them.
CREATE INDEX explains_edge_run IF NOT EXISTS FOR ()-[e:EXPLAINS_EDGE]-() ON (e.run_id)
