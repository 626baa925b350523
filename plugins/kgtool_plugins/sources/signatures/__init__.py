"""L1000 signatures (Level 5 z-scores, or Level 3 plates z-scored on load) with their compounds,
cell lines and top up/down genes: the ``signatures`` source.

What it reads, what it writes and every check it makes are documented in ``docs/signatures.md``,
with a map of the modules of this package. :mod:`.source` holds the source; :mod:`.records` the
types the other modules share.
"""

from .metadata import parse_dose_um, parse_time_h
from .source import SignaturesSource, kgtool_register_sources

__all__ = ["SignaturesSource", "kgtool_register_sources", "parse_dose_um", "parse_time_h"]
