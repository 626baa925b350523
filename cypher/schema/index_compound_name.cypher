// Compounds are looked up by name in hypothesis queries.
CREATE INDEX compound_name IF NOT EXISTS FOR (c:Compound) ON (c.name)
