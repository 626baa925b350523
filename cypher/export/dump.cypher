// Canonical dump of the whole graph, to compare two databases: every node's labels and properties,
// every relationship's endpoints (label and key), type and properties.
// $keys maps each node label to its key property (from toolkit.schema.NodeLabel).
CALL () {
  MATCH (n)
  RETURN 'node' AS kind, labels(n) AS labels, properties(n) AS props,
         null AS start_label, null AS start, null AS type, null AS end_label, null AS end
  UNION ALL
  MATCH (a)-[r]->(b)
  WITH a, r, b, head(labels(a)) AS start_label, head(labels(b)) AS end_label
  RETURN 'rel' AS kind, null AS labels, properties(r) AS props,
         start_label, a[$keys[start_label]] AS start, type(r) AS type, end_label, b[$keys[end_label]] AS end
}
RETURN kind, labels, props, start_label, start, type, end_label, end
