"""Training: dataset export, splits, the shared torch loop, metrics and the train pipeline."""
