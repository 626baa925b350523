// Template: upsert nodes of one label by key; row properties are set (idempotent).
UNWIND $rows AS row
MERGE (n:{label} {{key}: row.{key}})
SET n += row
