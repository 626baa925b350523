"""The one seeded AdamW loop every torch expression model trains with.

:func:`fit_module` trains a module mapping input tensors (rows = samples) to outputs against a
target tensor, with minibatches drawn from a seeded generator, optional "cell dropout" (a share of
the rows' cell indices replaced by 0, the unknown cell, so that the unknown-cell embedding learns
the average cell line that cold-cell rows get), and early stopping on a validation score (higher
is better; the best weights are restored). The scores are :func:`regression_score` (mean
per-sample Pearson, what the expression task reports first) and :func:`three_class_score`
(macro-F1 over down / none / up, AnchorDrug's metric). Honours ``config.epochs``, ``batch_size``
(shrunk on small sets so an epoch takes ``min_steps`` steps, as the MoA models do), ``lr``,
``weight_decay``, ``patience``, ``seed``, ``device`` and ``config.params["amp"]`` (CUDA only).
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from typing import Any, Callable, Optional, Sequence

import numpy as np

from toolkit.expression.metrics import expression_metrics, macro_f1
from toolkit.models import TrainConfig
from toolkit.tasks import three_class
from toolkit.train.loop import resolve_device, seed_everything
from toolkit.train.torch_model import small_data_config

MIN_STEPS = 8  # optimiser steps an epoch at least (smaller batches on small training sets)
PREDICT_BATCH = 256

Score = Callable[[np.ndarray, np.ndarray], float]  # (outputs, truth) -> higher is better


def regression_score(outputs: np.ndarray, truth: np.ndarray) -> float:
    """Mean per-sample Pearson of predicted and measured z-scores (-1 when undefined, e.g. a
    constant prediction)."""
    value = expression_metrics(outputs, truth)["pearson"]
    return float(value) if np.isfinite(value) else -1.0


def three_class_score(outputs: np.ndarray, truth: np.ndarray) -> float:
    """Macro-F1 of the argmax of (n, genes, 3) logits against the 3-class labels of z-scores ``truth``."""
    return macro_f1(outputs.argmax(axis=-1), three_class(truth))


def to_tensors(arrays: Sequence[np.ndarray]) -> list[Any]:
    """Tensors of module inputs: integer arrays stay int64 (indices), the rest float32."""
    import torch

    return [torch.as_tensor(np.asarray(a), dtype=torch.long if np.issubdtype(np.asarray(a).dtype, np.integer)
                            else torch.float32) for a in arrays]


def predict_outputs(module: Any, inputs: Sequence[np.ndarray], batch_size: int = PREDICT_BATCH,
                    device: Optional[Any] = None) -> np.ndarray:
    """Outputs of ``module`` in eval mode, in batches, as a float32 array."""
    import torch

    tensors = to_tensors(inputs)
    n = len(tensors[0])
    module.eval()
    out = []
    with torch.no_grad():
        for start in range(0, n, batch_size):
            part = [t[start:start + batch_size].to(device) if device is not None else t[start:start + batch_size]
                    for t in tensors]
            out.append(module(*part).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0,), dtype=np.float32)


def _autocast(device: Any, enabled: bool) -> Callable[[], Any]:
    import torch

    if not enabled or device.type != "cuda":
        return nullcontext
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return lambda: torch.autocast(device_type="cuda", dtype=dtype)


def fit_module(module: Any, inputs: Sequence[np.ndarray], target: np.ndarray, config: TrainConfig, *,
               loss_fn: Callable[[Any, Any], Any], score: Score,
               valid: Optional[tuple[Sequence[np.ndarray], np.ndarray]] = None,
               cell_slot: Optional[int] = None, cell_dropout: float = 0.0) -> dict[str, Any]:
    """Train ``module`` in place; the history.

    ``inputs`` are the module's positional inputs (rows aligned with ``target``); ``loss_fn(outputs,
    target_batch)``; ``valid`` (its inputs, its measured z-scores) scored by ``score`` once an epoch.
    ``cell_slot``: the input holding cell indices, replaced by 0 in a ``cell_dropout`` share of the
    training rows. History: ``epochs_run``, ``best_epoch``, ``best_valid_score`` (None without
    validation rows), ``batch_size``, ``device``, ``train_s``."""
    import torch

    seed_everything(config.seed)
    device = resolve_device(config.device)
    module.to(device)
    x = [t.to(device) for t in to_tensors(inputs)]
    y = torch.as_tensor(np.asarray(target)).to(device)
    n = len(y)
    run = small_data_config(config, max(n, 1), int(config.params.get("min_steps", MIN_STEPS)))
    params = [p for p in module.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    autocast = _autocast(device, bool(config.params.get("amp", False)))
    generator = torch.Generator().manual_seed(config.seed)
    has_valid = valid is not None and len(valid[1]) > 0
    best_score: Optional[float] = None
    best_state, best_epoch, since_best, epochs_run = None, None, 0, 0
    tic = time.perf_counter()
    for epoch in range(config.epochs):
        module.train()
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, run.batch_size):
            idx = order[start:start + run.batch_size].to(device)
            batch = [t[idx] for t in x]
            if cell_slot is not None and cell_dropout > 0:
                drop = (torch.rand(len(idx), generator=generator) < cell_dropout).to(device)
                batch[cell_slot] = torch.where(drop, torch.zeros_like(batch[cell_slot]), batch[cell_slot])
            optimiser.zero_grad()
            with autocast():
                outputs = module(*batch)
            loss = loss_fn(outputs.float(), y[idx])
            loss.backward()
            optimiser.step()
        epochs_run = epoch + 1
        if not has_valid:
            continue
        assert valid is not None
        value = score(predict_outputs(module, valid[0], device=device), np.asarray(valid[1]))
        if best_score is None or value > best_score + 1e-6:
            best_score, best_epoch, since_best = value, epoch + 1, 0
            best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
        else:
            since_best += 1
            if since_best >= config.patience:
                break
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    module.to("cpu")
    return {"epochs_run": epochs_run, "best_epoch": best_epoch, "best_valid_score": best_score,
            "batch_size": run.batch_size, "device": str(device), "train_s": time.perf_counter() - tic}
