"""AdversarialBIM (DeepAL's adaptation of Kurakin et al.'s basic iterative method), AnchorDrug-style:
only the DRUG input (its fingerprint bits) is perturbed, all candidates at once, through the model's
:meth:`logits_forward` with the cell line held fixed.

Each step moves every still-unflipped candidate's bits by ``eps`` times the sign of the gradient of
the cross-entropy against its ORIGINAL predicted classes (away from them). A candidate is done when
more than ``flip_fraction`` of its genes changed predicted class; its distance to the decision
boundary is the L2 norm of its perturbation then. At most ``max_steps`` steps, over chunks of ``chunk`` candidates (bounded cost and memory).
Score = minus that distance (closest to the boundary = highest = picked first); a candidate that
never flipped gets the largest possible perturbation norm ``eps * max_steps * sqrt(n_bits)`` plus
(1 - the fraction it did flip), so it ranks after every flipped one and the nearer-to-flipping first.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np

from toolkit.anchors.strategy import AcquisitionStrategy, ActiveModel, Pool, candidate_conditions, top_k
from toolkit.structure import FingerprintSpec, morgan_fingerprint

EPS = 0.05
MAX_STEPS = 50
FLIP_FRACTION = 0.1
CHUNK = 256  # candidates perturbed together


def input_bits(pool: Pool, compounds: Sequence[str], spec: FingerprintSpec) -> np.ndarray:
    """The compounds' bits as the model reads them: the pool's fingerprints when they have the
    model's width, else recomputed from the context SMILES with the model's spec."""
    bits = pool.bits(compounds)
    if bits.shape[1] == spec.n_bits:
        return bits
    smiles = pool.context.compound_smiles if pool.context is not None else {}
    missing = [c for c in compounds if c not in smiles]
    if missing:
        raise ValueError(f"adversarial_bim: pool fingerprints have {bits.shape[1]} bits, the model reads "
                         f"{spec.n_bits}, and {len(missing)} candidates have no SMILES to recompute them")
    return np.stack([morgan_fingerprint(smiles[c], spec)[0] for c in compounds])


class AdversarialBIM(AcquisitionStrategy):
    """See the module doc (params: eps=0.05, max_steps=50, flip_fraction=0.1, chunk=256)."""

    name = "adversarial_bim"
    description = "boundary distance: iterative sign-gradient steps on the drug fingerprint until genes flip"
    needs_model = True

    def __init__(self, params: Optional[Mapping[str, Any]] = None) -> None:
        super().__init__(params)
        self.eps = float(self.params.get("eps", EPS))
        self.max_steps = int(self.params.get("max_steps", MAX_STEPS))
        self.flip_fraction = float(self.params.get("flip_fraction", FLIP_FRACTION))
        self.chunk = int(self.params.get("chunk", CHUNK))
        if self.eps <= 0 or self.max_steps < 1 or not 0 <= self.flip_fraction < 1 or self.chunk < 1:
            raise ValueError(f"adversarial_bim: bad params eps={self.eps}, max_steps={self.max_steps}, "
                             f"flip_fraction={self.flip_fraction}, chunk={self.chunk}")

    def distances(self, pool: Pool, model: ActiveModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per candidate: its boundary distance (the perturbation norm when it flipped, else the
        ceiling of the module doc), whether it flipped, and the fraction of its genes that flipped."""
        parts = [self._attack(pool, model, pool.candidates[i:i + self.chunk])
                 for i in range(0, len(pool.candidates), self.chunk)]
        return tuple(np.concatenate([part[j] for part in parts]) for j in range(3))  # type: ignore[return-value]

    def _attack(self, pool: Pool, model: ActiveModel, compounds: Sequence[str]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import torch

        spec, forward = model.logits_forward(candidate_conditions(pool.cell, compounds), context=pool.context)
        x0 = torch.as_tensor(input_bits(pool, compounds, spec), dtype=torch.float32)
        with torch.no_grad():
            original = forward(x0).argmax(dim=-1)  # (n, G)
        device = original.device  # the model's, whatever device it chose
        x0 = x0.to(device)
        delta = torch.zeros_like(x0)
        active = torch.ones(len(x0), dtype=torch.bool, device=device)
        fraction = torch.zeros(len(x0), device=device)
        norm = torch.zeros(len(x0), device=device)
        for _ in range(self.max_steps):
            x = (x0 + delta).requires_grad_(True)
            logits = forward(x)
            loss = torch.nn.functional.cross_entropy(logits[active].reshape(-1, logits.shape[-1]),
                                                     original[active].reshape(-1), reduction="sum")
            (grad,) = torch.autograd.grad(loss, x)
            delta = torch.where(active[:, None], delta + self.eps * grad.sign(), delta)
            with torch.no_grad():
                moved = (forward(x0 + delta).argmax(dim=-1) != original).float().mean(dim=1)
                fraction = torch.where(active, moved, fraction)
            done = active & (fraction > self.flip_fraction)
            norm = torch.where(done, delta.norm(dim=1), norm)
            active = active & ~done
            if not active.any():
                break
        ceiling = self.eps * self.max_steps * float(np.sqrt(x0.shape[1]))
        norm = torch.where(active, ceiling + (1.0 - fraction), norm)  # never flipped: after every flipped one
        return (norm.detach().cpu().numpy().astype(np.float64), (~active).cpu().numpy(),
                fraction.cpu().numpy().astype(np.float64))

    def choose(self, pool: Pool, model: Optional[ActiveModel], k: int, rng: np.random.Generator
               ) -> list[tuple[str, float]]:
        assert model is not None
        distance, _, _ = self.distances(pool, model)
        return top_k(pool.candidates, -distance, k)
