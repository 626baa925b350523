// The number of nodes in the database (from the count store); bulk import refuses a non-empty one.
MATCH (n) RETURN count(n) AS nodes
