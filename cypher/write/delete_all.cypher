// Remove every node (and any relationship left), in batches (kgtool db reset).
MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS
