"""A shared, seeded torch training loop for classifier plugins (no copy-paste per model)."""

from __future__ import annotations

import logging
import random
from typing import Any, Optional

import numpy as np

from toolkit.models import TaskData, TrainConfig

logger = logging.getLogger(__name__)


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def resolve_device(name: str) -> "Any":
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but torch sees no CUDA device; use --device cpu")
    return torch.device(name)


def _soft_targets(y: np.ndarray) -> np.ndarray:
    """Multi-hot rows as probability targets for cross-entropy (each label shares the mass)."""
    return y / np.clip(y.sum(axis=1, keepdims=True), 1.0, None)


def fit_classifier(module: Any, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None,
                   progress: bool = False) -> dict[str, Any]:
    """Train ``module`` (features -> logits) with AdamW, cross-entropy and early stopping."""
    import torch

    seed_everything(config.seed)
    device = resolve_device(config.device)
    module.to(device)
    keep = train.labelled
    x = torch.as_tensor(train.x[keep], dtype=torch.float32)
    y = torch.as_tensor(_soft_targets(train.y[keep]), dtype=torch.float32)
    xv = yv = None
    if valid is not None and valid.labelled.any():
        xv = torch.as_tensor(valid.x[valid.labelled], dtype=torch.float32, device=device)
        yv = torch.as_tensor(_soft_targets(valid.y[valid.labelled]), dtype=torch.float32, device=device)
    optimiser = torch.optim.AdamW(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(config.seed)
    best, best_state, since_best, epoch = float("inf"), None, 0, 0
    epochs = range(config.epochs)
    if progress:
        from tqdm import tqdm

        epochs = tqdm(epochs, desc="train", unit="epoch", leave=False)
    for epoch in epochs:
        module.train()
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), config.batch_size):
            idx = order[start : start + config.batch_size]
            optimiser.zero_grad()
            loss = loss_fn(module(x[idx].to(device)), y[idx].to(device))
            loss.backward()
            optimiser.step()
        if xv is None:
            continue
        module.eval()
        with torch.no_grad():
            val_loss = float(loss_fn(module(xv), yv))
        if val_loss < best - 1e-4:
            best, since_best = val_loss, 0
            best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
        else:
            since_best += 1
            if since_best >= config.patience:
                break
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    module.to("cpu")
    return {"epochs_run": epoch + 1, "best_valid_loss": None if best == float("inf") else best,
            "device": str(device)}


def predict_logits(module: Any, x: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    import torch

    module.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            out.append(module(torch.as_tensor(x[start : start + batch_size], dtype=torch.float32)).numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)
