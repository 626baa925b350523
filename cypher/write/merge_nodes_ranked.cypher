// Template: upsert nodes of one label by key for a named load source, with one property that several
// sources give ({prop}, e.g. Gene.symbol). The other row properties are set as in merge_nodes. {prop} is
// set when the node has none, or when the source that set it ({prop_source}) ranks no higher than
// $source: $ranks maps source -> rank (a missing source ranks -1); of two sources with equal rank the
// larger name wins, the same source overwrites (a re-load updates). A null never erases a value.
UNWIND $rows AS row
MERGE (n:{label} {{key}: row.id})
WITH n, row, n.{prop_source} AS held, coalesce($ranks[n.{prop_source}], -1) AS held_rank
SET n += row.props
WITH n, row, held, held_rank
WHERE row.value IS NOT NULL
  AND (n.{prop} IS NULL OR held IS NULL OR held_rank < $rank OR (held_rank = $rank AND held <= $source))
SET n.{prop} = row.value, n.{prop_source} = $source
