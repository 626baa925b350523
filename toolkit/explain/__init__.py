"""Explanations of MoA predictions.

``base`` (explainer contract; what graph/structure models expose is in ``toolkit.models``) · ``compute``
(attributions per prediction, graph-free) · ``pathways`` (GO scores, enrichment, BH) ·
``interactions`` (paired ablation) · ``fingerprints``/``substructures`` (fingerprint bits → atoms →
substructures) · ``quality``/``evaluate`` (faithfulness, robustness, stability, ground truth) ·
``writeback`` (EXPLAINS & co., idempotent per run) · ``report`` (HTML) · ``pipeline`` (``kgtool explain``).
"""
