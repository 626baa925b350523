// Remove every explanation relationship (EXPLAINS, EXPLAINS_EDGE, INTERACTS_IN_EXPLANATION) in
// small transactions, e.g. before emptying a graph that holds millions of them.
MATCH ()-[e:EXPLAINS|EXPLAINS_EDGE|INTERACTS_IN_EXPLANATION]->()
CALL (e) { DELETE e } IN TRANSACTIONS OF 20000 ROWS
