"""kgtool: interpretable drug mechanism-of-action prediction on L1000 data with a Neo4j knowledge graph."""

__version__ = "0.1.0"
