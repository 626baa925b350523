"""Featurisation shared by the expression models and their explanations.

* :func:`ecfp_matrix` — the Morgan bits of a list of compounds, read from a SMILES map with
  :func:`toolkit.structure.morgan_fingerprint` (so bits map back to atoms for explanations); cached
  per (SMILES, spec); a compound without a parsable SMILES gets all-zero bits (the models' drug-free
  input) rather than an error, because a graph may hold compounds without a structure;
* :func:`tanimoto` / :func:`max_tanimoto` — similarity of the rows of 0/1 bit matrices;
* :class:`SmilesVocab` — a regex SMILES tokenizer and a vocabulary fitted on training SMILES
  (padding 0, unknown 1, a maximum length), stored as a plain list of tokens in checkpoints;
* :func:`dose_time_features` — log10 dose (µM) and hours / 24, each with a "missing" flag (the
  default compound x cell consensus rows have neither).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Optional, Sequence

import numpy as np

from toolkit.structure import FingerprintSpec, morgan_fingerprint

# Bracket atoms, two-letter organic atoms, ring closures (%nn), bonds and branches, single atoms.
SMILES_TOKEN = re.compile(r"(\[[^\]]+]|Br|Cl|Si|Se|@@|%\d{2}|[BCNOPSFIbcnops]"
                          r"|\(|\)|\.|=|#|-|\+|\\|/|:|~|@|\?|>|\*|\$|\d)")
PAD, UNK = "<pad>", "<unk>"
DOSE_TIME_FEATURES = 4  # log10 dose, dose missing, hours / 24, time missing


@lru_cache(maxsize=65536)
def _bits(smiles: str, radius: int, n_bits: int) -> Optional[np.ndarray]:
    """Morgan bits of one SMILES (None when RDKit cannot parse it); cached: models featurise the
    same compounds every epoch, fold and explanation."""
    try:
        bits, _ = morgan_fingerprint(smiles, FingerprintSpec(radius, n_bits))
    except ValueError:
        return None
    bits.setflags(write=False)
    return bits


def ecfp_matrix(compounds: Sequence[str], smiles: Mapping[str, str], spec: FingerprintSpec = FingerprintSpec()
                ) -> np.ndarray:
    """(n, spec.n_bits) float32 Morgan bits of ``compounds`` (ids looked up in ``smiles``); all-zero
    rows for compounds with no or an unparsable SMILES."""
    out = np.zeros((len(compounds), spec.n_bits), dtype=np.float32)
    for i, compound in enumerate(compounds):
        text = smiles.get(compound)
        bits = _bits(text, spec.radius, spec.n_bits) if text else None
        if bits is not None:
            out[i] = bits
    return out


def tanimoto(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) Tanimoto similarities of 0/1 bit rows; 0 where both rows are empty."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    inter = a @ b.T
    union = a.sum(axis=1, keepdims=True) + b.sum(axis=1)[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0).astype(np.float32)


def max_tanimoto(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each row of ``a``'s highest Tanimoto similarity to a row of ``b`` (0 when ``b`` is empty)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros(len(a), dtype=np.float32)
    return tanimoto(a, b).max(axis=1)


def tokenize(smiles: str) -> list[str]:
    """The regex tokens of ``smiles`` (characters no pattern covers become single tokens)."""
    tokens: list[str] = []
    pos = 0
    for match in SMILES_TOKEN.finditer(smiles):
        tokens.extend(smiles[pos:match.start()])  # anything unmatched, one character at a time
        tokens.append(match.group(0))
        pos = match.end()
    tokens.extend(smiles[pos:])
    return tokens


@dataclass(frozen=True)
class SmilesVocab:
    """Token vocabulary: index 0 padding, 1 unknown, then the training tokens in sorted order."""

    tokens: tuple[str, ...]  # including PAD and UNK at 0 and 1
    max_len: int

    @classmethod
    def fit(cls, smiles: Sequence[str], max_len: int = 120) -> "SmilesVocab":
        """The vocabulary of ``smiles``; sequences longer than ``max_len`` tokens are truncated, the
        length is the longest training sequence up to ``max_len`` (at least 1)."""
        seen: set[str] = set()
        longest = 1
        for text in smiles:
            tokens = tokenize(text)
            seen.update(tokens)
            longest = max(longest, len(tokens))
        return cls((PAD, UNK, *sorted(seen)), min(max_len, longest))

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, smiles: Sequence[Optional[str]]) -> np.ndarray:
        """(n, max_len) int64 token indices, padded with 0; a missing SMILES is all padding."""
        index = {t: i for i, t in enumerate(self.tokens)}
        out = np.zeros((len(smiles), self.max_len), dtype=np.int64)
        for row, text in enumerate(smiles):
            ids = [index.get(t, 1) for t in tokenize(text or "")][: self.max_len]
            out[row, : len(ids)] = ids
        return out


def dose_time_features(dose_um: np.ndarray, time_h: np.ndarray) -> np.ndarray:
    """(n, 4) float32: log10 dose in µM (0 when unknown or not positive), dose-missing flag,
    hours / 24 (0 when unknown), time-missing flag."""
    dose = np.asarray(dose_um, dtype=np.float64)
    hours = np.asarray(time_h, dtype=np.float64)
    dose_ok = np.isfinite(dose) & (dose > 0)
    time_ok = np.isfinite(hours)
    out = np.zeros((len(dose), DOSE_TIME_FEATURES), dtype=np.float32)
    out[dose_ok, 0] = np.log10(dose[dose_ok])
    out[:, 1] = ~dose_ok
    out[time_ok, 2] = hours[time_ok] / 24.0
    out[:, 3] = ~time_ok
    return out
