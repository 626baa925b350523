"""The build manifest of ``kgtool build`` (:func:`read_build_manifest`): a TOML file naming the
sources, their files and their options, checked whole before anything is read or imported.

    lenient = false                  # optional: skip bad records with a report, every source
    [[source]]
    name = "string"                  # a registered source (`kgtool plugins`), built-in or a plugin's
    files = ["data/9606.protein.links.v12.0.txt.gz"]  # relative to the manifest's folder
    options = { min_score = 400 }    # the options the source declares (as `kgtool load` flags)
    lenient = true                   # optional, this source only

Every problem (TOML syntax, an unknown key, source or option, a bad option value, a missing file)
is one line naming the manifest, the ``[[source]]`` (number and name) and the fix.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit import plugins
from toolkit.errors import ConfigError, InputDataError
from toolkit.sources import LoadOptions

TOP_KEYS = frozenset({"source", "lenient"})
SOURCE_KEYS = frozenset({"name", "files", "options", "lenient"})
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class ManifestSource:
    """One ``[[source]]`` entry: ``number`` counts from 1, in manifest order."""

    number: int
    name: str
    paths: tuple[Path, ...]
    options: LoadOptions

    @property
    def where(self) -> str:
        return f"[[source]] #{self.number} ({self.name})"


@dataclass(frozen=True)
class BuildManifest:
    """A checked manifest: its path and text (recorded on the build's Run) and its sources in order."""

    path: Path
    text: str
    sources: tuple[ManifestSource, ...]


def _bad(path: Path, where: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"build manifest {path}: {where}: {problem}; {fix}")


def _flag(path: Path, where: str, value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(path, where, f"{what} is {value!r}", f"write {what} = true or false")
    return value


def read_build_manifest(path: Path, *, lenient: bool = False) -> BuildManifest:
    """Read and check the manifest at ``path`` (``lenient``: every source lenient, as ``--lenient``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"build manifest {path}: cannot be read ({exc.strerror or exc}); check the path") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _bad(path, "TOML", str(exc), "fix the syntax (https://toml.io)") from None
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise _bad(path, "top level", f"unknown key {unknown[0]!r}",
                   f"use only {', '.join(sorted(TOP_KEYS))} at the top level")
    lenient = _flag(path, "top level", data.get("lenient", False), "lenient") or lenient
    entries = data.get("source")
    if not isinstance(entries, list) or not entries:
        raise _bad(path, "top level", "no [[source]] entries", "add one [[source]] table per source to build from")
    sources = tuple(_source(path, i, entry, lenient) for i, entry in enumerate(entries, start=1))
    return BuildManifest(path=path, text=text, sources=sources)


def _source(path: Path, number: int, entry: dict[str, Any], lenient: bool) -> ManifestSource:
    name = entry.get("name")
    where = f"[[source]] #{number}" + (f" ({name})" if isinstance(name, str) else "")
    unknown = sorted(set(entry) - SOURCE_KEYS)
    if unknown:
        raise _bad(path, where, f"unknown key {unknown[0]!r}", f"use only {', '.join(sorted(SOURCE_KEYS))}")
    registry = plugins.registry()
    known = sorted(registry.items["sources"])
    if not isinstance(name, str) or name not in registry.items["sources"]:
        raise _bad(path, where, f"unknown source {name!r}", f"name one of {', '.join(known)} (see `kgtool plugins`)")
    source = registry.get("sources", name)
    files = entry.get("files")
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise _bad(path, where, "files must be a non-empty list of paths", 'write files = ["data/file.txt", ...]')
    paths = tuple(p if p.is_absolute() else path.parent / p for p in (Path(f).expanduser() for f in files))
    given = entry.get("options", {})
    if not isinstance(given, dict):
        raise _bad(path, where, f"options is {given!r}", "write options = { name = value, ... }")
    declared = {option.name: option for option in source.options}
    chosen: dict[str, Any] = {}
    for option_name, value in given.items():
        option = declared.get(option_name)
        if option is None:
            raise _bad(path, where, f"unknown option {option_name!r}", f"source {name!r} declares "
                       f"{', '.join(sorted(declared)) or 'no options'}; check the spelling")
        try:
            chosen[option_name] = option.convert(value)
        except ConfigError as exc:
            raise _bad(path, where, str(exc), "give a value of that type") from None
        if option.choices and chosen[option_name] not in option.choices:
            raise _bad(path, where, f"option {option_name!r} is {value!r}", f"use one of {', '.join(option.choices)}")
    for option in source.options:
        chosen.setdefault(option.name, option.default)
    lenient = _flag(path, where, entry.get("lenient", False), "lenient") or lenient
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise InputDataError(path, where, f"file {missing[0]} not found",
                             f"check the path (relative paths resolve against {path.parent.absolute()})")
    return ManifestSource(number=number, name=name, paths=paths,
                          options=LoadOptions(lenient=lenient, source_options=chosen))


def file_facts(manifest: BuildManifest) -> list[dict[str, Any]]:
    """Each file of the manifest (once) with its size and sha256, for the build's Run."""
    out: list[dict[str, Any]] = []
    seen: set[Path] = set()
    for entry in manifest.sources:
        for p in entry.paths:
            if p in seen:
                continue
            seen.add(p)
            digest = hashlib.sha256()
            with p.open("rb") as handle:
                for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
                    digest.update(chunk)
            out.append({"path": str(p), "size": p.stat().st_size, "sha256": digest.hexdigest()})
    return out
