"""The contract for source plugins: turn files into typed node and relationship batches.

A source declares the options it takes as :class:`SourceOption` values in its ``options`` class
attribute; ``kgtool load`` offers each as a flag (``min_score`` becomes ``--min-score``) and the
source reads the value through :meth:`LoadOptions.get`. :class:`LoadOptions` carries the options
every source shares (``lenient``, ``batch_size``) and a mapping of the declared ones by name.
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, Iterator, Mapping, Sequence, TypeVar

from toolkit.errors import ConfigError
from toolkit.graph.batches import Batch, SourceReport

T = TypeVar("T")

OPTION_TYPES = (bool, int, float, str)  # the value types a source option may have


@dataclass(frozen=True)
class SourceOption(Generic[T]):
    """One option a source declares: its name, value type, default and help.

    ``kgtool load`` turns it into ``--<name with dashes>``: a flag for ``bool`` (default False),
    a value of ``type`` otherwise, one of ``choices`` when given (checked by the CLI; a source
    checks values it receives from Python itself). ``cli=False`` keeps an option
    off the command line (it is set through :class:`LoadOptions` only).
    """

    name: str  # a Python identifier, e.g. "min_score"
    type: type  # bool, int, float or str
    default: T
    help: str
    choices: tuple[str, ...] = ()
    cli: bool = True

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ConfigError(f"source option name {self.name!r} is not a Python identifier")
        if self.type not in OPTION_TYPES:
            raise ConfigError(f"source option {self.name!r} has type {self.type!r}; use one of "
                              f"{', '.join(t.__name__ for t in OPTION_TYPES)}")

    @property
    def flag(self) -> str:
        """The ``kgtool load`` flag, e.g. ``--min-score``."""
        return "--" + self.name.replace("_", "-")

    def convert(self, value: Any) -> T:
        """``value`` as this option's type (None stays None); raises ConfigError naming the option."""
        if value is None or type(value) is self.type:
            converted = value
        elif self.type is int and isinstance(value, numbers.Integral) and not isinstance(value, bool):
            converted = int(value)
        elif self.type is float and isinstance(value, numbers.Real) and not isinstance(value, bool):
            converted = float(value)
        elif self.type is bool and isinstance(value, (bool, numbers.Integral)) and value in (0, 1):
            converted = bool(value)
        else:
            raise ConfigError(f"source option {self.name!r} takes a {self.type.__name__}, got {value!r}")
        return converted  # type: ignore[no-any-return]


@dataclass(frozen=True)
class LoadOptions:
    """Options a source receives: the shared ones, and the values of the options sources declare.

    ``source_options`` maps a :class:`SourceOption` name to its value; a source reads it with
    :meth:`get`, which falls back to the option's declared default.
    """

    lenient: bool = False  # skip bad records with a report instead of failing
    batch_size: int = 5_000  # rows per yielded batch
    source_options: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "source_options", dict(self.source_options))

    @classmethod
    def from_values(cls, **values: Any) -> LoadOptions:
        """``lenient`` and ``batch_size`` from ``values``, everything else as source options:
        ``LoadOptions.from_values(lenient=True, top_k=10)``."""
        shared = {name: values.pop(name) for name in ("lenient", "batch_size") if name in values}
        return cls(**shared, source_options=values)

    def get(self, option: SourceOption[T]) -> T:
        """The value of ``option``: the one given, else its declared default."""
        return option.convert(self.source_options.get(option.name, option.default))


class Source(ABC):
    """A data source. ``read`` yields batches; nodes of a label before relationships that use it.

    Malformed input raises :class:`toolkit.errors.InputDataError` naming file, record and fix,
    unless ``options.lenient``, in which case the record is skipped and noted in ``report.dropped``.
    ``options`` (the class attribute) declares the source's own options, read with
    ``LoadOptions.get``.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    options: ClassVar[tuple[SourceOption[Any], ...]] = ()

    @abstractmethod
    def read(self, paths: Sequence[Path], options: LoadOptions, report: SourceReport) -> Iterator[Batch]:
        """Yield batches read from ``paths``."""
