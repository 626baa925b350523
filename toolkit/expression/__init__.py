"""The expression task: drug -> landmark expression change (training, metrics, write-back)."""
