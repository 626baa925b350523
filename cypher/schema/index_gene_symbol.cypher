// Genes are looked up by symbol in hypothesis queries.
CREATE INDEX gene_symbol IF NOT EXISTS FOR (g:Gene) ON (g.symbol)
