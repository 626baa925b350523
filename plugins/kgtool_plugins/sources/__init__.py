"""Built-in data sources: STRING, Gene Ontology, compound tables and L1000 signatures.

Each source module (``string``, ``gene_ontology``, ``compounds``, the ``signatures`` package)
holds one :class:`toolkit.sources.Source`, declares its ``kgtool load`` options as
:class:`toolkit.sources.SourceOption` values and registers itself through the
``kgtool_register_sources`` hook, exactly like a third-party plugin. :mod:`.tables` is the
source toolkit they share (and a third-party source may use): line-checked reading of
delimited text (gzip or not), problem reporting, identifier clean-up, gene tables and batching.
The ``_idmap*``, ``_targets``, ``_substructures`` and ``_compoundchecks`` modules are helpers of
one source each.
"""
