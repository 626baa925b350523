// Template: upsert relationships of one type from flat rows [start key, end key, value, ...], the
// values of the properties named in $keys (the same names for every row). Same result as
// write/merge_rels (a null value removes the property, as SET += does), about 15% faster: no
// per-row maps to pack and read (bench/load.py).
UNWIND $rows AS row
MERGE (a:{start} {{start_key}: row[0]})
MERGE (b:{end} {{end_key}: row[1]})
MERGE (a)-[r:{rel}]->(b)
FOREACH (i IN range(0, size($keys) - 1) | SET r[$keys[i]] = row[i + 2])
