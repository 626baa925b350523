// Template: create relationships of one type that cannot exist yet (one end is a node the same load
// created and no relationship of this type touching it was written since; the rows hold each pair
// once). Endpoints are merged by key, as in write/merge_rels; no relationship lookup, so the cost
// does not grow with the degree of the end nodes (bench/load.py: load.unwind_rels_create_per_s).
UNWIND $rows AS row
MERGE (a:{start} {{start_key}: row.start})
MERGE (b:{end} {{end_key}: row.end})
CREATE (a)-[r:{rel}]->(b)
SET r += row.props
