// Read by bench/build.py: the number of relationships in the graph (from the count store).
MATCH ()-[r]->() RETURN count(r) AS rels
