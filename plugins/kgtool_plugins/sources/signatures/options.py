"""The options the signatures source declares; ``kgtool load`` offers each as a flag."""

from __future__ import annotations

from typing import Optional

from toolkit.sources import SourceOption

from .zscore import ZSCORE_MODES

TOP_K = SourceOption[int](
    "top_k", int, 50, "Signatures: up/down genes linked per signature.")
CHUNK_SIGNATURES = SourceOption[int](
    "chunk_signatures", int, 2_000, "Signatures: GCTX columns read per slice.", cli=False)
QC_ONLY = SourceOption[bool](
    "qc_only", bool, False, "Signatures: keep qc_pass == 1 only.")
MIN_CC_Q75 = SourceOption[Optional[float]](
    "min_cc_q75", float, None,
    "Signatures: keep replicate correlation cc_q75 (2017 metadata: distil_cc_q75) >= this.")
EXEMPLAR_ONLY = SourceOption[bool](
    "exemplar_only", bool, False,
    "Signatures: keep exemplar signatures only: is_exemplar_sig == 1 (2020 siginfo_beta) or "
    "is_gold == 1 (2017 sig_metrics / GCT column metadata).")
CONSENSUS = SourceOption[str](
    "consensus", str, "none",
    "Signatures: write one consensus signature per (pert_id, cell line) of the kept treatment "
    "signatures, MODZ-weighted (modz) or averaged (mean), instead of the individual ones.",
    choices=("none", "modz", "mean"))  # the order --help shows; consensus.CONSENSUS_MODES checks them
ZSCORE = SourceOption[str](
    "zscore", str, "none",
    "Signatures: robust z-score Level 3 expression per plate against all wells (plate) or "
    "the vehicle-control wells (vehicle); none loads the values as they are.",
    choices=ZSCORE_MODES)

OPTIONS = (TOP_K, QC_ONLY, MIN_CC_Q75, EXEMPLAR_ONLY, CONSENSUS, ZSCORE, CHUNK_SIGNATURES)
