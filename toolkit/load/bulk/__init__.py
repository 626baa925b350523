"""``kgtool load --bulk``: first loads through ``neo4j-admin database import full``.

``plan`` (batches merged with the writer's semantics) · ``columns`` (values typed as CSV columns)
· ``csv_files`` (the CSV files and the fix-ups they cannot hold) · ``admin`` (the neo4j-admin
command and its errors) · ``importer`` (:func:`bulk_import`: CSV, server offline, import, swap,
fix-ups) · ``first_load`` (:func:`bulk_load`: a source's batches as a recorded load run;
:func:`first_load_of`: several sources' batches, as ``kgtool build`` (:mod:`toolkit.load.build`) imports them).
"""

from toolkit.load.bulk.admin import admin_error
from toolkit.load.bulk.columns import ARRAY_DELIMITERS
from toolkit.load.bulk.csv_files import CsvFiles, write_csv
from toolkit.load.bulk.first_load import bulk_load, first_load_batches, first_load_of
from toolkit.load.bulk.importer import BulkReport, bulk_import
from toolkit.load.bulk.plan import Plan

__all__ = ["ARRAY_DELIMITERS", "BulkReport", "CsvFiles", "Plan", "admin_error", "bulk_import", "bulk_load",
           "first_load_batches", "first_load_of", "write_csv"]
