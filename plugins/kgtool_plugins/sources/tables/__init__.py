"""The source toolkit: what a source plugin uses to turn text files into typed batches.

Every built-in source is written with it, and a third-party source may be too (import from
``kgtool_plugins.sources.tables``; the names below are its public interface):

* reading: :func:`iter_lines` (a text file line by line, gzip or not, told apart by the magic
  bytes; a truncated gzip stream or bytes that are not UTF-8 raise
  :class:`~toolkit.errors.InputDataError` naming file and line), :class:`TextLines` (the same as
  an open file for parsers that want one), :func:`file_magic`, :func:`sniff` / :class:`Head`
  (just enough of a file to tell what kind of table it is);
* tables: :class:`DelimitedFile` (a delimited table with a header or given column names; every
  row's column count checked; rows are :class:`Row` objects that know their line number; a file
  that keeps no rows is an error);
* problems: :class:`Problems` turns a bad record into an error or, under ``lenient``, into a
  line of ``report.dropped``, and notes repairs; lines are capped per file and kind
  (:data:`REPORT_CAP`) with exact counts, so a million bad rows do not flood the report;
* values: :data:`MISSING` (the "no value" tokens of LINCS/CLUE tables), :func:`is_missing`,
  :func:`parse_int`, :func:`pert_id` (Broad ids cut to 13 characters),
  :func:`is_compound_pert_type`, :func:`split_list`, :func:`one_line`;
* genes: :class:`GeneTable` (gene tables mapping symbols and probe ids to Entrez ids, with
  landmark flags), :func:`is_gene_table` and :func:`checked_entrez` (an Entrez id, or the record
  reported as a bad gene id);
* batches: :func:`clean` (drop values Neo4j cannot store), :func:`rel`, :func:`batched`,
  :func:`node_batches`, :func:`rel_batches`, and :class:`ReportingSource`, the base class whose
  ``_read(paths, options, problems)`` a source implements (its problems are finished even when
  the read fails).
"""

from .batches import ReportingSource, batched, clean, node_batches, rel, rel_batches
from .delimited import DelimitedFile, Row
from .genes import (
    GENE_ID_COLUMNS,
    GENE_SYMBOL_COLUMNS,
    LANDMARK_FLAG_COLUMNS,
    PROBE_COLUMNS,
    GeneTable,
    checked_entrez,
    is_gene_table,
)
from .problems import REPORT_CAP, Problems, TableRows
from .text import (
    CUT_LINE,
    CUT_LINE_FIX,
    GZIP_MAGIC,
    HDF5_MAGIC,
    Head,
    TextLines,
    file_magic,
    iter_lines,
    one_line,
    sniff,
    split_header,
)
from .values import COMPOUND_PERT_TYPES, MISSING, is_compound_pert_type, is_missing, parse_int, pert_id, split_list

__all__ = [
    "COMPOUND_PERT_TYPES", "CUT_LINE", "CUT_LINE_FIX", "GENE_ID_COLUMNS", "GENE_SYMBOL_COLUMNS", "GZIP_MAGIC",
    "HDF5_MAGIC", "LANDMARK_FLAG_COLUMNS", "MISSING", "PROBE_COLUMNS", "REPORT_CAP", "DelimitedFile", "GeneTable",
    "Head", "Problems", "ReportingSource", "Row", "TableRows", "TextLines", "batched", "checked_entrez", "clean", "file_magic",
    "is_compound_pert_type", "is_gene_table", "is_missing", "iter_lines", "node_batches", "one_line", "parse_int",
    "pert_id", "rel", "rel_batches", "sniff", "split_header", "split_list",
]
