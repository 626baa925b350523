// Link the target symbols earlier compound loads could not resolve (Compound.unresolved_targets)
// to the genes the graph has now, as the compounds source resolves them against the graph: the
// symbol (NFKC, spaces removed, upper-cased) is the upper-cased symbol of exactly one gene, or,
// when no gene has it as symbol, one of the alias_symbols of exactly one gene. A linked symbol
// gets TARGETS and leaves the list; ambiguous and unknown symbols stay (never guessed); an
// emptied list is removed. Run by toolkit.load after every load that writes Gene or Compound
// nodes. Returns the number of (compound, symbol) pairs linked and of compounds touched.
MATCH (c:Compound) WHERE c.unresolved_targets IS NOT NULL
UNWIND c.unresolved_targets AS raw
WITH DISTINCT raw
WITH collect({raw: raw, key: toUpper(replace(normalize(raw, NFKC), ' ', ''))}) AS wanted
WITH wanted, [w IN wanted | w.key] AS keys
CALL {
  WITH keys
  MATCH (g:Gene)
  WITH g, keys, toUpper(g.symbol) AS symbol, [a IN coalesce(g.alias_symbols, []) | toUpper(a)] AS aliases
  WHERE symbol IN keys OR any(a IN aliases WHERE a IN keys)
  RETURN collect({id: g.entrez_id, symbol: symbol, aliases: aliases}) AS genes
}
UNWIND wanted AS w
WITH w, [g IN genes WHERE g.symbol = w.key | g.id] AS by_symbol,
     [g IN genes WHERE w.key IN g.aliases | g.id] AS by_alias
WITH w, CASE WHEN size(by_symbol) = 1 THEN by_symbol[0]
             WHEN size(by_symbol) = 0 AND size(by_alias) = 1 THEN by_alias[0] END AS entrez
WHERE entrez IS NOT NULL
WITH collect([w.raw, entrez]) AS found
MATCH (c:Compound) WHERE c.unresolved_targets IS NOT NULL
WITH c, [p IN found WHERE p[0] IN c.unresolved_targets] AS mine
WHERE size(mine) > 0
CALL {
  WITH c, mine
  UNWIND mine AS p
  MATCH (g:Gene {entrez_id: p[1]})
  MERGE (c)-[:TARGETS]->(g)
}
WITH c, mine, [s IN c.unresolved_targets WHERE NOT s IN [p IN mine | p[0]]] AS rest
SET c.unresolved_targets = CASE WHEN size(rest) = 0 THEN null ELSE rest END
RETURN sum(size(mine)) AS linked, count(c) AS compounds
