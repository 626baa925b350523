"""What every Captum explainer plugin shares, once: the forward-function lookup, row batching,
seeding and noise baselines. An explainer names its Captum class and its ``attribute`` arguments::

    return attribute_rows(IntegratedGradients, model, inputs, targets, batch_size=64, seed=seed,
                          baselines=torch.zeros_like, n_steps=50)
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Iterator

import numpy as np

from toolkit.models import Explained, Forward, forward_of


def forward_for(model: Explained) -> Forward:
    """The forward function Captum attributes (:func:`toolkit.models.forward_of`); a one-line
    ValueError when the model has none."""
    forward = forward_of(model)
    if forward is None:
        name = getattr(model, "name", type(model).__name__)
        raise ValueError(f"model {name!r} exposes no torch module (no forward function); pick a non-gradient explainer")
    return forward


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


def attribute_rows(method: Callable[[Forward], Any], model: Explained, inputs: np.ndarray, targets: np.ndarray, *,
                   batch_size: int, seed: int, baselines: Any, no_grad: bool = False, **kwargs: Any) -> np.ndarray:
    """Attributions (shaped like ``inputs``) of Captum ``method`` built on the model's forward
    function: row batches of ``batch_size``, seeded by ``seed``, ``baselines`` a value or a function
    of the batch tensor, ``kwargs`` passed on to ``attribute``; ``no_grad`` for perturbation methods."""
    import torch

    attributor = method(forward_for(model))

    def one_batch(x: Any, t: Any) -> Any:
        base = baselines(x) if callable(baselines) else baselines
        return attributor.attribute(x, baselines=base, target=t, **kwargs)

    with seeded(seed), (torch.no_grad() if no_grad else nullcontext()):
        return batched(one_batch, inputs, targets, batch_size)
