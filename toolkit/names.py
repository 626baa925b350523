"""Names that several sources spell differently (MoAs): one key per name, one displayed spelling."""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

_DASHES = re.compile("[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d]")


def tidy_label(text: str) -> str:
    """A label as displayed: Unicode NFC, whitespace collapsed and stripped; case and dashes kept."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def label_key(text: str) -> str:
    """The normalised form two spellings of one name share: NFKC, dashes as ``-``, one space, case-folded."""
    return " ".join(_DASHES.sub("-", unicodedata.normalize("NFKC", text)).casefold().split())


def _spelling_rank(text: str) -> tuple[int, int, str]:
    words = text.split()
    capitalised = sum(1 for w in words if len(w) > 1 and w[0].isupper() and w[1:].islower())
    capitals = sum(1 for c in text if c.isupper())
    return capitalised, -capitals, text


def preferred_label(spellings: Iterable[str]) -> str:
    """The spelling to display among spellings of one name (same :func:`label_key`).

    Fewest Capitalised words (``Melatonin`` is a sentence start, not a name), then most capital
    letters (acronyms: ``HDAC`` over ``hdac``), then code point order (``-`` before ``–``): a total
    order, so the choice does not depend on the order the spellings come in.
    """
    return min((tidy_label(s) for s in spellings), key=_spelling_rank)
