"""A deterministic demo dataset with planted mechanisms of action, written in the real file formats.

>>> from toolkit.demo import DemoSpec, generate_demo, load_ground_truth
>>> files = generate_demo(Path("demo"), DemoSpec(seed=1))          # doctest: +SKIP
>>> truth = load_ground_truth(files.ground_truth)                   # doctest: +SKIP
>>> hard = generate_demo(Path("real"), DemoSpec.preset("realistic"))  # doctest: +SKIP
"""

from toolkit.demo.generate import generate_demo
from toolkit.demo.spec import (
    GENERATOR_VERSION,
    PRESETS,
    DemoFiles,
    DemoSpec,
    GroundTruth,
    MoaTruth,
    OffTarget,
    RealismTruth,
    UnlabelledCompound,
    load_ground_truth,
)

__all__ = [
    "GENERATOR_VERSION",
    "DemoFiles",
    "DemoSpec",
    "GroundTruth",
    "MoaTruth",
    "OffTarget",
    "PRESETS",
    "RealismTruth",
    "UnlabelledCompound",
    "generate_demo",
    "load_ground_truth",
]
