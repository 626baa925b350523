"""Shared pieces of the Captum explainer plugins: module access, batching, noise baselines."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from toolkit.models import ModelPlugin


def module_of(model: ModelPlugin) -> Any:
    module = model.torch_module()
    if module is None:
        raise ValueError(f"model {model.name!r} exposes no torch module; pick a non-gradient explainer")
    module.eval()
    return module


def batched(fn: Callable[[Any, Any], Any], inputs: np.ndarray, targets: np.ndarray, batch_size: int) -> np.ndarray:
    """Call ``fn(x, target)`` (tensors) on row batches and stack the numpy results."""
    import torch

    out = []
    for start in range(0, len(inputs), batch_size):
        x = torch.as_tensor(np.ascontiguousarray(inputs[start : start + batch_size]), dtype=torch.float32)
        t = torch.as_tensor(np.asarray(targets[start : start + batch_size]), dtype=torch.long)
        out.append(fn(x, t).detach().numpy())
    return np.concatenate(out) if out else np.zeros_like(inputs, dtype=np.float32)


def noise_baselines(n_features: int, n: int = 8, scale: float = 1.0, seed: int = 0) -> Any:
    """``n`` training-like signatures: zero-centred Gaussian noise of z-score scale, seeded."""
    import torch

    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED]))
    return torch.as_tensor(rng.normal(0.0, scale, size=(n, n_features)), dtype=torch.float32)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch and NumPy's global RNG (Captum's GradientShap draws from both); NumPy's previous
    state is restored afterwards so callers' random streams are not disturbed."""
    import torch

    state = np.random.get_state()
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    try:
        yield
    finally:
        np.random.set_state(state)
