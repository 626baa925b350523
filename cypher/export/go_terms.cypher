// Names and obsolete flags of the given GO terms.
UNWIND $go_ids AS go_id
MATCH (t:GOTerm {go_id: go_id})
RETURN t.go_id AS go_id, coalesce(t.name, '') AS name, coalesce(t.obsolete, false) AS obsolete
ORDER BY go_id
