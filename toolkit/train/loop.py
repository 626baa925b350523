"""A shared, seeded torch training loop for classifier plugins (no copy-paste per model).

``fit_classifier`` trains any module mapping inputs to class logits with AdamW, minibatches drawn
from a seeded generator and early stopping (best weights restored). The best epoch is the one
with the highest validation COMPOUND macro-F1 (:func:`toolkit.train.metrics.compound_macro_f1`:
samples pooled per compound, as the run is scored), ties broken by the lower validation loss;
the validation loss alone rewards predicting the class prior on noisy data. Validation is
evaluated once per epoch, in batches. Options read from ``config.params`` (all optional):

* ``select="loss"``: select and stop on the validation loss alone (the older behaviour);
* ``class_weight="balanced"``: per-class loss weights ``n / (n_classes * count_k)`` from the
  training labels (classes absent from training get weight 0);
* ``loss="gce"``: generalized cross-entropy ``(1 - p^q) / q`` (Zhang & Sabuncu 2018), robust to
  noisy labels; ``gce_q`` (default 0.7) interpolates between cross-entropy (q -> 0) and MAE (q = 1);
* ``amp=True``: mixed precision (``torch.autocast``, bfloat16 where supported, else float16 with
  a gradient scaler) — only ever on a CUDA device, ignored on CPU;
* ``progress=True``: a tqdm bar over epochs (same as ``progress=True`` in the call).

Inputs are read batch by batch (:class:`Batches`): only a mini-batch of rows is ever copied into
tensors, so a memory-mapped ``TaskData.x`` (a large cached snapshot) trains in bounded memory.

Models with inputs beyond the signature pass ``inputs``: a function from :class:`TaskData` to the
module's positional input arrays (rows aligned with the samples); the default is ``(data.x,)``.
"""

from __future__ import annotations

import logging
import random
import time
from contextlib import nullcontext
from typing import Any, Callable, Optional, Sequence

import numpy as np

from toolkit.models import TaskData, TrainConfig, chunk_rows, release_pages

logger = logging.getLogger(__name__)

Inputs = Callable[[TaskData], Sequence[np.ndarray]]


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


def soft_targets(y: np.ndarray) -> np.ndarray:
    """Multi-hot rows as probability targets for cross-entropy (each label shares the mass)."""
    return y / np.clip(y.sum(axis=1, keepdims=True), 1.0, None)


_soft_targets = soft_targets  # the older private name


def class_weights(y: np.ndarray) -> np.ndarray:
    """Balanced weights ``n / (n_classes * count_k)`` over soft targets; 0 for absent classes."""
    counts = soft_targets(y).sum(axis=0)
    weights = np.zeros(y.shape[1], dtype=np.float32)
    present = counts > 0
    weights[present] = len(y) / (y.shape[1] * counts[present])
    return weights


def make_loss(params: Any, y_train: np.ndarray, device: Any) -> Callable[[Any, Any], Any]:
    """The training criterion ``loss(logits, soft_targets) -> scalar`` chosen by ``params``."""
    import torch
    import torch.nn.functional as F

    weight = None
    if params.get("class_weight") == "balanced":
        weight = torch.as_tensor(class_weights(y_train), device=device)
    elif params.get("class_weight") not in (None, "none"):
        raise ValueError(f"class_weight={params.get('class_weight')!r}: use 'balanced' or leave it out")
    kind = params.get("loss", "ce")
    if kind == "ce":
        return lambda logits, target: F.cross_entropy(logits.float(), target, weight=weight)
    if kind == "gce":
        q = float(params.get("gce_q", 0.7))
        if not 0.0 < q <= 1.0:
            raise ValueError(f"gce_q={q} must lie in (0, 1]")

        def gce(logits: Any, target: Any) -> Any:
            p = torch.softmax(logits.float(), dim=1).clamp_min(1e-7)
            per_class = target * (1.0 - p.pow(q)) / q
            if weight is not None:
                per_class = per_class * weight
            return per_class.sum(dim=1).mean()

        return gce
    raise ValueError(f"loss={kind!r}: use 'ce' (cross-entropy) or 'gce' (generalized cross-entropy)")


def _autocast(device: Any, enabled: bool) -> tuple[Callable[[], Any], Optional[Any]]:
    """A context factory for the forward pass and, for float16, a gradient scaler."""
    import torch

    if not enabled or device.type != "cuda":
        return nullcontext, None
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    return (lambda: torch.autocast(device_type="cuda", dtype=dtype)), scaler


def _tensors(arrays: Sequence[np.ndarray], rows: np.ndarray | slice, device: Optional[Any] = None) -> list[Any]:
    import torch

    return [torch.as_tensor(np.asarray(a[rows]), dtype=torch.float32, device=device) for a in arrays]


class Batches:
    """Mini-batches of the module inputs read from the arrays as they are (in memory or
    memory-mapped): only the rows of one batch are copied into tensors, never the whole matrix, so
    a memory-mapped snapshot trains in bounded memory. ``rows`` are the arrays' rows in use (batch
    positions index into them); a memory-mapped array has its pages released every
    :func:`toolkit.models.chunk_rows` rows read."""

    def __init__(self, arrays: Sequence[np.ndarray], rows: np.ndarray) -> None:
        self.arrays = [a if hasattr(a, "shape") else np.asarray(a) for a in arrays]
        self.rows = np.asarray(rows, dtype=np.int64)
        self._step = min((chunk_rows(a) for a in self.arrays if isinstance(a, np.memmap)), default=0)
        self._read = 0

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, positions: Any, device: Optional[Any] = None) -> list[Any]:
        """Tensors of the rows at ``positions`` (a slice, or indices into ``rows``)."""
        rows = self.rows[np.asarray(positions) if not isinstance(positions, slice) else positions]
        out = _tensors(self.arrays, rows, device)
        if self._step:
            self._read += len(rows)
            if self._read >= self._step:
                self.release()
        return out

    def release(self) -> None:
        for a in self.arrays:
            release_pages(a)
        self._read = 0


SELECT_MODES = ("macro_f1", "loss")


def _validation_loss(module: Any, x: Batches, y: Any, loss_fn: Callable[[Any, Any], Any],
                     autocast: Callable[[], Any], batch_size: int) -> float:
    """Mean loss over the validation rows, in batches (losses here are means over rows)."""
    return _validate(module, x, y, loss_fn, autocast, batch_size)[0]


def _validate(module: Any, x: Batches, y: Any, loss_fn: Callable[[Any, Any], Any],
              autocast: Callable[[], Any], batch_size: int) -> tuple[float, np.ndarray]:
    """Mean loss over the validation rows and their class probabilities, in one batched pass."""
    import torch

    module.eval()
    total = 0.0
    proba = []
    with torch.no_grad(), autocast():
        for start in range(0, len(y), batch_size):
            part = slice(start, start + batch_size)
            logits = module(*x.take(part, y.device))
            total += float(loss_fn(logits, y[part])) * len(y[part])
            proba.append(torch.softmax(logits.float(), dim=1).cpu().numpy())
    return total / len(y), np.concatenate(proba)


def better(score: tuple[float, float], best: Optional[tuple[float, float]], select: str) -> bool:
    """Whether an epoch's (macro-F1, loss) beats the best so far: higher macro-F1, ties (within
    1e-9) broken by a loss lower by more than 1e-4; with ``select="loss"`` the loss alone."""
    if best is None:
        return True
    f1, loss = score
    best_f1, best_loss = best
    if select == "loss" or abs(f1 - best_f1) <= 1e-9:
        return loss < best_loss - 1e-4
    return f1 > best_f1


def fit_classifier(module: Any, train: TaskData, config: TrainConfig, valid: Optional[TaskData] = None,
                   progress: bool = False, inputs: Optional[Inputs] = None) -> dict[str, Any]:
    """Train ``module`` (inputs -> logits) with AdamW and early stopping; return a history dict.

    History: ``epochs_run``; ``best_epoch``, ``best_valid_macro_f1`` and ``best_valid_loss`` (the
    selected epoch's validation compound macro-F1 and loss; None without validation rows);
    ``select``; ``device``; ``train_s`` (wall time of the epochs) and ``epoch_s`` (its mean per epoch).
    """
    import torch

    from toolkit.train.metrics import compound_macro_f1

    select = str(config.params.get("select", "macro_f1"))
    if select not in SELECT_MODES:
        raise ValueError(f"select={select!r}: use 'macro_f1' (the default) or 'loss'")
    seed_everything(config.seed)
    device = resolve_device(config.device)
    module.to(device)
    params = config.params
    features: Inputs = inputs or (lambda data: (data.x,))
    keep = np.flatnonzero(train.labelled)
    x = Batches(features(train), keep)
    y = torch.as_tensor(soft_targets(train.y[keep]), dtype=torch.float32)
    xv = yv = None
    if valid is not None and valid.labelled.any():
        rows = np.flatnonzero(valid.labelled)
        xv = Batches(features(valid), rows)
        yv = torch.as_tensor(soft_targets(valid.y[rows]), dtype=torch.float32, device=device)
        valid_truth = valid.y[rows]
        valid_compounds = [valid.compound_ids[i] for i in rows]
    optimiser = torch.optim.AdamW(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    loss_fn = make_loss(params, train.y[keep], device)
    autocast, scaler = _autocast(device, bool(params.get("amp", False)))
    generator = torch.Generator().manual_seed(config.seed)
    best: Optional[tuple[float, float]] = None
    best_state, best_epoch, since_best, epoch = None, None, 0, 0
    epochs: Any = range(config.epochs)
    if progress or params.get("progress"):
        from tqdm import tqdm

        epochs = tqdm(epochs, desc="train", unit="epoch", leave=False)
    tic = time.perf_counter()
    for epoch in epochs:
        module.train()
        order = torch.randperm(len(y), generator=generator)
        for start in range(0, len(y), config.batch_size):
            idx = order[start : start + config.batch_size]
            optimiser.zero_grad()
            with autocast():
                logits = module(*x.take(idx.numpy(), device))
            loss = loss_fn(logits, y[idx].to(device))
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimiser)
                scaler.update()
            else:
                loss.backward()
                optimiser.step()
        x.release()
        if xv is None:
            continue
        val_loss, val_proba = _validate(module, xv, yv, loss_fn, autocast, config.batch_size * 8)
        val_f1 = compound_macro_f1(val_proba, valid_truth, valid_compounds)
        logger.debug("epoch %d: validation loss %.4f, compound macro-F1 %.4f", epoch + 1, val_loss, val_f1)
        if better((val_f1, val_loss), best, select):
            best, best_epoch, since_best = (val_f1, val_loss), epoch + 1, 0
            best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
        else:
            since_best += 1
            if since_best >= config.patience:
                break
    train_s = time.perf_counter() - tic
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    module.to("cpu")
    epochs_run = epoch + 1 if config.epochs else 0
    return {"epochs_run": epochs_run, "best_epoch": best_epoch,
            "best_valid_macro_f1": None if best is None else best[0],
            "best_valid_loss": None if best is None else best[1], "select": select,
            "device": str(device), "train_s": train_s, "epoch_s": train_s / max(epochs_run, 1)}


def predict_logits(module: Any, x: np.ndarray, batch_size: int = 4096,
                   extra: Sequence[np.ndarray] = ()) -> np.ndarray:
    """Logits of ``module`` on CPU, in batches; ``extra`` arrays (rows aligned with ``x``) are
    passed as further positional inputs."""
    import torch

    module.eval()
    out = []
    batches = Batches((x, *extra), np.arange(len(x)))
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            out.append(module(*batches.take(slice(start, start + batch_size))).float().numpy())
    batches.release()
    return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)


def softmax(logits: np.ndarray, n_classes: int) -> np.ndarray:
    """Row-wise softmax in float64; an empty input gives a (0, n_classes) array."""
    if len(logits) == 0:
        return np.zeros((0, n_classes), dtype=np.float64)
    z = logits.astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
