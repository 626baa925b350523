// Genes of the graph whose symbol, or one of whose alias symbols (Gene.alias_symbols, where a
// source stored them), is one of $symbols, compared upper-cased ($symbols are upper-case): the
// compounds source resolves target symbols with it. One row per gene: its upper-cased symbol and
// the alias symbols that matched.
MATCH (g:Gene)
WITH g, toUpper(g.symbol) AS symbol, [a IN coalesce(g.alias_symbols, []) | toUpper(a)] AS aliases
WITH g, symbol, [a IN aliases WHERE a IN $symbols] AS matched
WHERE symbol IN $symbols OR size(matched) > 0
RETURN g.entrez_id AS entrez_id, symbol, matched AS aliases
