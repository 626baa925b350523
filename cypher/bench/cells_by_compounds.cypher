// Cell lines by the number of distinct compounds profiled in them, most first (anchors benchmark).
MATCH (s:Signature)-[:IN_CELL]->(c:CellLine)
MATCH (s)-[:OF_COMPOUND]->(k:Compound)
RETURN c.name AS cell, count(DISTINCT k) AS compounds
ORDER BY compounds DESC, cell
