// Read by bench/explain.py: the number of EXPLAINS relationships in the graph.
MATCH ()-[e:EXPLAINS]->() RETURN count(e) AS n
