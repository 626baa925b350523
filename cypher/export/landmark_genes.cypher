// The landmark genes in the order Signature.z vectors use (ascending Entrez id).
MATCH (g:Gene) WHERE g.is_landmark = true
RETURN g.entrez_id AS entrez_id, g.symbol AS symbol ORDER BY entrez_id
