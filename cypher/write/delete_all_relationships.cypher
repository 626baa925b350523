// Remove every relationship in batches (first step of emptying the graph: keeps transactions small).
MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS
