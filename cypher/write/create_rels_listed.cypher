// Template: write/create_rels from flat rows [start key, end key, value, ...], the values of the
// properties named in $keys (the same names for every row), as write/merge_rels_listed; a null value
// leaves the property unset.
UNWIND $rows AS row
MERGE (a:{start} {{start_key}: row[0]})
MERGE (b:{end} {{end_key}: row[1]})
CREATE (a)-[r:{rel}]->(b)
FOREACH (i IN range(0, size($keys) - 1) | SET r[$keys[i]] = row[i + 2])
