// Template: the one-statement-per-row baseline the benchmark compares the UNWIND writer with.
MERGE (a:{start} {{start_key}: $start})
MERGE (b:{end} {{end_key}: $end})
MERGE (a)-[r:{rel}]->(b)
SET r += $props
