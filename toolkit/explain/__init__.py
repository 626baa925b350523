"""Explanations of MoA predictions.

``base`` (explainer contract) · ``contracts`` (what graph/structure models expose) · ``compute``
(attributions per prediction, graph-free) · ``pathways`` (GO scores, enrichment, BH) ·
``interactions`` (paired ablation) · ``structure``/``multimodal`` (fingerprint bits → atoms →
substructures) · ``quality``/``evaluate`` (faithfulness, robustness, stability, ground truth) ·
``writeback`` (EXPLAINS & co., idempotent per run) · ``report`` (HTML) · ``pipeline`` (``kgtool explain``).
"""
