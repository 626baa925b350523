"""kgtool's hook specifications. Only specs live here; the plugin manager is in ``plugins.py``."""

from __future__ import annotations

from typing import Any, Callable, Optional

import pluggy

hookspec = pluggy.HookspecMarker("kgtool")
hookimpl = pluggy.HookimplMarker("kgtool")


@hookspec
def kgtool_register_sources(register: Callable[[Any], None]) -> None:
    """Register data sources (:class:`toolkit.sources.Source` instances).

    :param register: call once per source; a duplicate name is rejected.
    """


@hookspec
def kgtool_register_models(register: Callable[[Any], None]) -> None:
    """Register model plugins (:class:`toolkit.models.ModelPlugin` subclasses).

    :param register: call once per model class; a duplicate name is rejected.
    """


@hookspec
def kgtool_register_explainers(register: Callable[[Any], None]) -> None:
    """Register explainer plugins (:class:`toolkit.explain.base.Explainer` subclasses).

    :param register: call once per explainer class; a duplicate name is rejected.
    """


@hookspec
def kgtool_register_acquisitions(register: Callable[[Any], None]) -> None:
    """Register anchor-drug acquisition strategies (:class:`toolkit.anchors.strategy.AcquisitionStrategy`
    subclasses): how a new cell line's next compounds to profile are chosen.

    :param register: call once per strategy class; a duplicate name is rejected.
    """


@hookspec
def kgtool_register_commands(cli: Any) -> None:
    """Add click commands or groups to the ``kgtool`` command line.

    :param cli: the root ``click.Group``; call ``cli.add_command(...)``.
    """


@hookspec
def kgtool_register_cypher(register: Callable[[Any], None]) -> None:
    """Register folders of extra hypothesis queries (``*.cypher`` files) for ``kgtool query``.

    :param register: call with a ``pathlib.Path`` to a folder of ``.cypher`` files.
    """


@hookspec(historic=True)
def kgtool_configure(settings: Any) -> None:
    """Receive the resolved settings once, before any command runs.

    :param settings: the frozen :class:`toolkit.settings.Settings`.
    """


@hookspec(firstresult=True)
def kgtool_resolve_compound_id(raw_id: str, namespace: str) -> Optional[str]:
    """Map a compound identifier from another namespace to a kgtool ``pert_id``; first answer wins.

    :param raw_id: the identifier as found in the input file.
    :param namespace: where it comes from, e.g. ``"broad_id"``, ``"inchikey"``, ``"name"``.
    :return: the pert_id, or ``None`` to let other plugins answer.
    """


@hookspec
def kgtool_after_load(report: Any) -> None:
    """Called after a load finished (successfully or not).

    :param report: the :class:`toolkit.load.LoadReport`.
    """


@hookspec
def kgtool_after_train(run: Any) -> None:
    """Called after a training run finished and was written to the graph.

    :param run: the :class:`toolkit.runs.RunRecord` of the training run.
    """


@hookspec
def kgtool_after_explain(run: Any) -> None:
    """Called after an explain run finished and was written to the graph.

    :param run: the :class:`toolkit.runs.RunRecord` of the explain run.
    """
