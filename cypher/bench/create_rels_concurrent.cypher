// Read by bench/load.py (the CALL IN CONCURRENT TRANSACTIONS variant of the writer's CREATE path):
// each element of $buckets is one inner transaction of flat rows [start entrez_id, end entrez_id,
// score]; the buckets of one call touch disjoint sets of genes, so no two concurrent transactions
// lock the same node.
UNWIND $buckets AS bucket
CALL (bucket) {
  UNWIND bucket AS row
  MERGE (a:Gene {entrez_id: row[0]})
  MERGE (b:Gene {entrez_id: row[1]})
  CREATE (a)-[r:INTERACTS_WITH]->(b)
  SET r.score = row[2]
} IN CONCURRENT TRANSACTIONS OF 1 ROW
