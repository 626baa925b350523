"""Everything that talks to Neo4j: driver, schema, stored queries, batched writer, export."""
