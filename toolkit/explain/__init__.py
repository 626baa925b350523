"""Explanations: explainer contract, the explain pipeline and the write-back of EXPLAINS edges."""
