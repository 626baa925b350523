// Template: one uniqueness constraint per node label on its key (filled from toolkit.schema.NodeLabel).
CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{label}) REQUIRE n.{key} IS UNIQUE
