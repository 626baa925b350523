// Template: after a bulk import, set the node properties its CSV files cannot express
// (empty lists, a list of just "", temporal values, odd property names), as the writer's SET += would.
UNWIND $rows AS row
MATCH (n:{label} {{key}: row.key})
SET n += row.props
