// Read by `kgtool load` before it writes MoA nodes: every MoA name in the graph, so that a new spelling
// of a known MoA (other case, spaces, dashes) joins the existing node (see toolkit/load/rules.py).
MATCH (m:MoA) RETURN m.name AS name ORDER BY name
