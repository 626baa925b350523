// Template: after a bulk import, set the relationship properties its CSV files cannot express
// (empty lists, a list of just "", temporal values, odd property names), as the writer's SET += would.
UNWIND $rows AS row
MATCH (a:{start} {{start_key}: row.start})-[r:{rel}]->(b:{end} {{end_key}: row.end})
SET r += row.props
