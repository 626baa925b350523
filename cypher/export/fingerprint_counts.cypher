// A cheap fingerprint of the data a training snapshot reads: node counts per data label and
// relationship counts per data type, each answered from the count store (no scan). Run,
// Prediction and their relationships are left out: training and explaining must not change it
// (IN_CELL counts the signatures' only: expression predictions link to cell lines too).
CALL () {
  MATCH (n:Gene) WITH count(n) AS c RETURN 'node' AS kind, 'Gene' AS name, c AS count
  UNION ALL MATCH (n:GOTerm) WITH count(n) AS c RETURN 'node' AS kind, 'GOTerm' AS name, c AS count
  UNION ALL MATCH (n:Compound) WITH count(n) AS c RETURN 'node' AS kind, 'Compound' AS name, c AS count
  UNION ALL MATCH (n:Substructure) WITH count(n) AS c RETURN 'node' AS kind, 'Substructure' AS name, c AS count
  UNION ALL MATCH (n:MoA) WITH count(n) AS c RETURN 'node' AS kind, 'MoA' AS name, c AS count
  UNION ALL MATCH (n:CellLine) WITH count(n) AS c RETURN 'node' AS kind, 'CellLine' AS name, c AS count
  UNION ALL MATCH (n:Signature) WITH count(n) AS c RETURN 'node' AS kind, 'Signature' AS name, c AS count
  UNION ALL MATCH ()-[r:INTERACTS_WITH]->() WITH count(r) AS c RETURN 'rel' AS kind, 'INTERACTS_WITH' AS name, c AS count
  UNION ALL MATCH ()-[r:ANNOTATED_WITH]->() WITH count(r) AS c RETURN 'rel' AS kind, 'ANNOTATED_WITH' AS name, c AS count
  UNION ALL MATCH ()-[r:IS_A]->() WITH count(r) AS c RETURN 'rel' AS kind, 'IS_A' AS name, c AS count
  UNION ALL MATCH ()-[r:PART_OF]->() WITH count(r) AS c RETURN 'rel' AS kind, 'PART_OF' AS name, c AS count
  UNION ALL MATCH ()-[r:HAS_MOA]->() WITH count(r) AS c RETURN 'rel' AS kind, 'HAS_MOA' AS name, c AS count
  UNION ALL MATCH ()-[r:TARGETS]->() WITH count(r) AS c RETURN 'rel' AS kind, 'TARGETS' AS name, c AS count
  UNION ALL MATCH ()-[r:HAS_SUBSTRUCTURE]->() WITH count(r) AS c RETURN 'rel' AS kind, 'HAS_SUBSTRUCTURE' AS name, c AS count
  UNION ALL MATCH ()-[r:OF_COMPOUND]->() WITH count(r) AS c RETURN 'rel' AS kind, 'OF_COMPOUND' AS name, c AS count
  UNION ALL MATCH (:Signature)-[r:IN_CELL]->() WITH count(r) AS c RETURN 'rel' AS kind, 'IN_CELL' AS name, c AS count
  UNION ALL MATCH ()-[r:UPREGULATES]->() WITH count(r) AS c RETURN 'rel' AS kind, 'UPREGULATES' AS name, c AS count
  UNION ALL MATCH ()-[r:DOWNREGULATES]->() WITH count(r) AS c RETURN 'rel' AS kind, 'DOWNREGULATES' AS name, c AS count
}
RETURN kind, name, count ORDER BY kind, name
