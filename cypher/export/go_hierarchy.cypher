// Every GO child -> parent edge (is_a and part_of) between non-obsolete terms.
MATCH (child:GOTerm)-[:IS_A|PART_OF]->(parent:GOTerm)
WHERE coalesce(child.obsolete, false) = false AND coalesce(parent.obsolete, false) = false
RETURN DISTINCT child.go_id AS child, parent.go_id AS parent
ORDER BY child, parent
