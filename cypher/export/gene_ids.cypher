// Read by `kgtool load go` (a LookupBatch of the go source, kgtool_plugins.sources._idmap_gaf) to map the UniProtKB/Ensembl ids and symbols of
// annotation files to Entrez ids: every gene with its symbol and the ids a STRING aliases load stored.
MATCH (g:Gene)
WHERE g.uniprot_ids IS NOT NULL OR g.ensembl_ids IS NOT NULL OR g.alias_symbols IS NOT NULL OR g.symbol IS NOT NULL
RETURN g.entrez_id AS entrez_id, g.symbol AS symbol, g.uniprot_ids AS uniprot_ids, g.ensembl_ids AS ensembl_ids,
       g.alias_symbols AS alias_symbols
ORDER BY entrez_id
