// Rename a MoA node to the preferred spelling of its normalised name (see toolkit/load/rules.py); its
// relationships stay. Does nothing if a MoA node with the new name already exists.
MATCH (m:MoA {name: $old})
WHERE NOT EXISTS { MATCH (:MoA {name: $new}) }
SET m.name = $new
