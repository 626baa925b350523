"""``kgtool fetch``: the canonical public files into ``$KGTOOL_HOME/downloads``, and the load to run next.

The addresses are the publishers' (:mod:`toolkit.fetch.catalog`); ``KGTOOL_FETCH_MIRROR`` (or
``--mirror``) fetches every file by its name from another base URL instead, ``--url`` one file from
an address of its own. Downloads resume and are checked (:mod:`toolkit.fetch.transfer`).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from toolkit.fetch.catalog import BUNDLES, CATALOG, REMOTES, Remote, expand
from toolkit.fetch.transfer import Downloaded, FetchError, download, is_cached

__all__ = ["BUNDLES", "CATALOG", "REMOTES", "Remote", "expand", "Downloaded", "FetchError", "LoadLine",
           "MIRROR_ENV", "is_cached", "cache_dir", "fetch", "load_lines", "url_of"]

MIRROR_ENV = "KGTOOL_FETCH_MIRROR"
KNOWN = object()  # checksum: the catalogue's


def cache_dir(home: Path) -> Path:
    return Path(home) / "downloads"


def url_of(remote: Remote, mirror: Optional[str] = None, url: Optional[str] = None) -> str:
    """``url`` if given, else ``<mirror>/<file name>`` (``mirror`` or ``$KGTOOL_FETCH_MIRROR``), else the
    official URL."""
    if url:
        return url
    mirror = mirror or os.environ.get(MIRROR_ENV)
    return f"{mirror.rstrip('/')}/{remote.filename}" if mirror else remote.url


def fetch(remote: Remote, home: Path, *, mirror: Optional[str] = None, url: Optional[str] = None,
          checksum: object = KNOWN, progress: bool = False) -> Downloaded:
    """Download ``remote`` into the cache (or find it there)."""
    expected = remote.checksum if checksum is KNOWN else checksum
    return download(url_of(remote, mirror, url), cache_dir(home) / remote.filename,
                    checksum=expected, progress=progress)  # type: ignore[arg-type]


@dataclass(frozen=True)
class LoadLine:
    """What to run after fetching: the ``kgtool fetch`` of files still missing, then the load."""

    loader: str
    paths: tuple[Path, ...]
    missing: tuple[str, ...]
    note: str = ""

    @property
    def command(self) -> str:
        return " ".join(["kgtool", "load", self.loader, *(shlex.quote(str(p)) for p in self.paths)])

    @property
    def fetch_first(self) -> Optional[str]:
        return f"kgtool fetch {' '.join(self.missing)}" if self.missing else None


def load_lines(fetched: Iterable[Remote], home: Path) -> list[LoadLine]:
    """One load per ``kgtool load`` source the fetched files feed, with every file it needs and
    the cached files of the same source (e.g. ``string-info`` once fetched), in catalogue order."""
    downloads = cache_dir(home)
    fetched = list(fetched)
    lines = []
    for loader in dict.fromkeys(r.loader for r in fetched):
        wanted = {r.name for r in fetched if r.loader == loader}
        wanted |= {r.name for r in REMOTES if r.loader == loader and is_cached(downloads / r.filename)}
        while True:  # what the wanted files need, transitively
            more = {n for name in wanted for n in CATALOG[name].needs} - wanted
            if not more:
                break
            wanted |= more
        members = [r for r in REMOTES if r.name in wanted]
        missing = tuple(r.name for r in members if not is_cached(downloads / r.filename))
        notes = dict.fromkeys(r.note for r in members if r.note)
        lines.append(LoadLine(loader, tuple(downloads / r.filename for r in members), missing, "; ".join(notes)))
    return lines
