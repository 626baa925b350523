"""Built-in data sources: STRING, Gene Ontology, compound tables and L1000 signatures.

Each module holds one :class:`toolkit.sources.Source` and registers it through the
``kgtool_register_sources`` hook, exactly like a third-party plugin. ``_tables`` holds what they
share: line-checked reading of delimited text (gzip or not), problem reporting, identifier
clean-up, gene tables and batching.
"""
