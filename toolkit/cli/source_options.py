"""The ``kgtool load`` flags that sources declare (:class:`toolkit.sources.SourceOption`).

:class:`SourceOptionsCommand` adds one click option per declared option of every registered
source when the command is parsed or its help shown, so ``kgtool --help`` loads no plugins.
Two sources may share a flag if they declare it with the same type (the first registered
source's help and default are shown); different types are an error naming both plugins.
:func:`load_options` turns the parsed values into the :class:`~toolkit.sources.LoadOptions` of
the source being loaded.
"""

from __future__ import annotations

from typing import Any, Mapping

import click
from click.core import ParameterSource

from toolkit.errors import PluginError
from toolkit.sources import LoadOptions, Source, SourceOption


def declared_options() -> list[tuple[str, SourceOption[Any]]]:
    """``(plugin, option)`` for every command-line option the registered sources declare, one per
    name, in registration order; raises PluginError when two declare one name with different types."""
    from toolkit import plugins

    registry = plugins.registry()
    seen: dict[str, tuple[str, SourceOption[Any]]] = {}
    for name, source in registry.items["sources"].items():
        plugin = registry.owners[("sources", name)]
        for option in source.options:
            if not option.cli:
                continue
            first = seen.get(option.name)
            if first is None:
                seen[option.name] = (plugin, option)
            elif first[1].type is not option.type:
                raise PluginError(
                    f"kgtool load {option.flag}: plugin {first[0]!r} declares it as {first[1].type.__name__}, "
                    f"plugin {plugin!r} as {option.type.__name__}; uninstall one of them or pin plugins with "
                    f"{plugins.PIN_ENV}")
    return list(seen.values())


def click_option(option: SourceOption[Any]) -> click.Option:
    """The click option of ``option``: a flag for bool, a typed value (or a choice) otherwise."""
    if option.type is bool:
        return click.Option([option.flag], is_flag=True, default=bool(option.default), help=option.help)
    kind: Any = click.Choice(list(option.choices)) if option.choices else option.type
    return click.Option([option.flag], type=kind, default=option.default, show_default=option.default is not None,
                        help=option.help)


class SourceOptionsCommand(click.Command):
    """A command whose parameters end with the flags of every registered source's options."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        taken = {p.name for p in params}
        extra = []
        for plugin, option in declared_options():
            if option.name in taken:
                raise PluginError(f"plugin {plugin!r} declares source option {option.flag}, which kgtool load "
                                  "has already; rename the option")
            extra.append(click_option(option))
        help_option = self.get_help_option(ctx)
        if help_option is not None and params and params[-1] is help_option:
            return [*params[:-1], *extra, help_option]
        return [*params, *extra]


def load_options(ctx: click.Context, source: Source, values: Mapping[str, Any], *, lenient: bool,
                 batch_size: int) -> LoadOptions:
    """The options ``source`` receives: its declared options as given on the command line, else
    the source's own defaults (a flag shared with another source may show another default)."""
    chosen = {}
    for option in source.options:
        given = option.name in values and ctx.get_parameter_source(option.name) is not ParameterSource.DEFAULT
        chosen[option.name] = values[option.name] if given else option.default
    return LoadOptions(lenient=lenient, batch_size=batch_size, source_options=chosen)
