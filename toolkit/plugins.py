"""The one plugin manager, and the registry of what plugins contribute.

Built-ins in ``plugins/kgtool_plugins`` and third-party packages arrive the same way: through the
``kgtool`` entry-point group. ``KGTOOL_PLUGINS=name,name`` pins which entry points load.
"""

from __future__ import annotations

import importlib.metadata
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import pluggy

from toolkit import hookspecs
from toolkit.errors import PluginError

ENTRY_POINT_GROUP = "kgtool"
PIN_ENV = "KGTOOL_PLUGINS"

# registry section -> hook that fills it
SECTIONS: dict[str, str] = {
    "sources": "kgtool_register_sources",
    "models": "kgtool_register_models",
    "explainers": "kgtool_register_explainers",
    "acquisitions": "kgtool_register_acquisitions",
    "cypher": "kgtool_register_cypher",
}


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    eps = list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
    pin = os.environ.get(PIN_ENV)
    if pin is None:
        return eps
    wanted = {name.strip() for name in pin.split(",") if name.strip()}
    unknown = wanted - {ep.name for ep in eps}
    if unknown:
        raise PluginError(
            f"{PIN_ENV} names unknown plugins {sorted(unknown)}; installed: {sorted(ep.name for ep in eps)}"
        )
    return [ep for ep in eps if ep.name in wanted]


@lru_cache(maxsize=1)
def plugin_manager() -> pluggy.PluginManager:
    """Create the plugin manager and load the entry points (once per process)."""
    pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
    pm.add_hookspecs(hookspecs)
    for ep in _entry_points():
        try:
            module = ep.load()
        except Exception as exc:  # a broken third-party plugin must not hide the others' names
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to import: {exc}; "
                              f"fix or uninstall it, or pin others with {PIN_ENV}") from exc
        pm.register(module, name=ep.name)
    pm.check_pending()
    return pm


@dataclass
class Registry:
    """What the loaded plugins registered, by section and name, with the plugin that did."""

    items: dict[str, dict[str, Any]] = field(default_factory=lambda: {s: {} for s in SECTIONS})
    owners: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, section: str, plugin: str, item: Any) -> None:
        name = str(item) if isinstance(item, Path) else item.name
        if name in self.items[section]:
            other = self.owners[(section, name)]
            raise PluginError(f"plugin {plugin!r} registers {section[:-1]} {name!r}, already registered by "
                              f"{other!r}; uninstall one of them or pin plugins with {PIN_ENV}")
        self.items[section][name] = item
        self.owners[(section, name)] = plugin

    def get(self, section: str, name: str) -> Any:
        try:
            return self.items[section][name]
        except KeyError:
            known = ", ".join(sorted(self.items[section])) or "none"
            raise PluginError(f"no {section[:-1]} named {name!r}; available: {known} (see `kgtool plugins`)") from None

    def by_plugin(self, plugin: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for (section, name), owner in sorted(self.owners.items()):
            if owner == plugin:
                out.setdefault(section, []).append(name)
        return out


def collect(pm: pluggy.PluginManager) -> Registry:
    """Call each registration hook implementation with a ``register`` callback that records its owner."""
    registry = Registry()
    for section, hook_name in SECTIONS.items():
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            register: Callable[[Any], None] = (
                lambda item, s=section, p=impl.plugin_name: registry.add(s, p, item)
            )
            impl.function(register=register)
    return registry


@lru_cache(maxsize=1)
def registry() -> Registry:
    return collect(plugin_manager())


@dataclass(frozen=True)
class PluginInfo:
    name: str
    module: str
    distribution: str
    version: str
    hooks: tuple[str, ...]
    registers: dict[str, list[str]]


def describe() -> list[PluginInfo]:
    """Every loaded plugin with its distribution, hooks and what it registers (``kgtool plugins``)."""
    pm = plugin_manager()
    reg = registry()
    dists = {ep.name: ep.dist for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    infos = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        dist = dists.get(name)
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or []))
        infos.append(
            PluginInfo(
                name=name,
                module=getattr(plugin, "__name__", type(plugin).__name__),
                distribution=dist.metadata["Name"] if dist else "-",
                version=dist.version if dist else "-",
                hooks=hooks,
                registers=reg.by_plugin(name),
            )
        )
    return infos


def reset() -> None:
    """Forget the loaded plugins (tests that install a plugin or change the pin)."""
    registry.cache_clear()
    plugin_manager.cache_clear()
