// Symbols of genes by Entrez id (labels in explanation reports). Parameters: $entrez_ids.
UNWIND $entrez_ids AS entrez_id
MATCH (g:Gene {entrez_id: entrez_id})
RETURN g.entrez_id AS entrez_id, g.symbol AS symbol
