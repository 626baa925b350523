// Template: upsert relationships of one type; endpoints are merged by key, so load order does not matter.
UNWIND $rows AS row
MERGE (a:{start} {{start_key}: row.start})
MERGE (b:{end} {{end_key}: row.end})
MERGE (a)-[r:{rel}]->(b)
SET r += row.props
