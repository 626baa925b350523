"""Download one file into the cache: resume over HTTP Range, size and checksum checks.

``NAME.part`` holds an unfinished download and ``NAME.part.json`` the URL and the server's
validator (ETag or Last-Modified), so a resumed request (``Range`` + ``If-Range``) only continues
the same file; a server that answers with the whole file (no Range support, or the file changed)
starts it over. A finished file is checked against the size the server announced and, where one is
known, its checksum, then renamed to ``NAME`` with ``NAME.sha256`` beside it (``sha256sum -c``
format). A file with that sidecar is in the cache and is not fetched again.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional

from toolkit import __version__
from toolkit.errors import KgtoolError

CHUNK = 1 << 20
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")


class FetchError(KgtoolError):
    """A download failed, stopped early or does not match its size or checksum."""


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    sha256: str
    transferred: int  # bytes received by this call; 0 when the file was already in the cache
    resumed_from: int  # bytes of an earlier partial download that were kept


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def is_cached(path: Path) -> bool:
    return path.is_file() and sidecar(path).is_file()


def download(url: str, dest: Path, *, checksum: Optional[str] = None, progress: bool = False,
             timeout: float = 60.0) -> Downloaded:
    """Fetch ``url`` to ``dest`` (resuming ``dest.part``); ``checksum`` is ``md5:HEX`` or ``sha256:HEX``."""
    if is_cached(dest):
        recorded = sidecar(dest).read_text(encoding="utf-8").split()[0]
        return Downloaded(dest, dest.stat().st_size, recorded, 0, 0)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    meta = dest.with_name(dest.name + ".part.json")
    kept = part.stat().st_size if part.is_file() else 0
    same, validator = _saved(meta, url)
    if kept and not same:  # a partial download of another URL: start over
        kept = 0
    response, start, total = _request(url, kept, validator, timeout)
    if response is not None:
        with response:
            meta.write_text(json.dumps({"url": url, "validator": _response_validator(response)}), encoding="utf-8")
            _receive(response, part, start, total, url, progress)
    size = part.stat().st_size
    if total is not None and size != total:
        if size < total:
            raise FetchError(f"{url}: the download stopped at {size:,} of {total:,} bytes (kept in {part}); "
                             "run the same `kgtool fetch` again to resume it")
        _discard(part, meta)
        raise FetchError(f"{url}: size mismatch: received {size:,} bytes, the server announced {total:,}; "
                         "the partial file was removed, run the same `kgtool fetch` again")
    sha256 = _verify(part, meta, checksum, url)
    part.replace(dest)
    meta.unlink(missing_ok=True)
    sidecar(dest).write_text(f"{sha256}  {dest.name}\n", encoding="utf-8")
    return Downloaded(dest, size, sha256, size - start if response is not None else 0, start)


def _request(url: str, kept: int, validator: Optional[str], timeout: float):
    """Open ``url`` from byte ``kept``: (response or None when ``kept`` is already complete, start, total)."""
    headers = {"User-Agent": f"kgtool/{__version__}"}
    if kept:
        headers["Range"] = f"bytes={kept}-"
        if validator:
            headers["If-Range"] = validator
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and kept:  # nothing left after `kept`: the part may be the whole file
            total = _parse_range(exc.headers.get("Content-Range"), url)[2]
            exc.close()
            if total == kept:
                return None, kept, total
            return _request(url, 0, None, timeout)
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise FetchError(f"{url}: cannot download: {getattr(exc, 'reason', exc)}") from None
    if response.status == 206:
        first, _, total = _parse_range(response.headers.get("Content-Range"), url)
        if first != kept:
            response.close()
            raise FetchError(f"{url}: asked for bytes from {kept:,}, the server sent them from {first:,}")
        return response, kept, total
    length = response.headers.get("Content-Length")
    return response, 0, int(length) if length and length.isdigit() else None


def _parse_range(header: Optional[str], url: str) -> tuple[Optional[int], Optional[int], Optional[int]]:
    match = _CONTENT_RANGE.fullmatch((header or "").strip())
    if not match:
        raise FetchError(f"{url}: the server sent a partial answer without a usable Content-Range ({header!r})")
    first, last, total = match.groups()
    as_int = (lambda v: int(v) if v and v != "*" else None)
    return as_int(first), as_int(last), as_int(total)


def _receive(response: http.client.HTTPResponse, part: Path, start: int, total: Optional[int], url: str,
             progress: bool) -> None:
    from tqdm import tqdm

    bar = tqdm(total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024, desc=part.name[:-5],
               disable=not progress, file=sys.stderr)
    with bar, part.open("r+b" if start else "wb") as out:
        out.seek(start)
        out.truncate()
        try:
            _copy(response, out, bar)
        except (OSError, http.client.HTTPException) as exc:
            out.flush()
            raise FetchError(f"{url}: the download was interrupted after {out.tell():,} bytes ({exc}); "
                             "run the same `kgtool fetch` again to resume it") from None


def _copy(response: http.client.HTTPResponse, out: BinaryIO, bar) -> None:  # type: ignore[no-untyped-def]
    while True:
        chunk = response.read(CHUNK)
        if not chunk:
            return
        out.write(chunk)
        bar.update(len(chunk))


def _verify(part: Path, meta: Path, checksum: Optional[str], url: str) -> str:
    """The sha256 of ``part``; raises (and removes it) when it does not match ``checksum``."""
    algo, _, expected = (checksum or "").partition(":")
    digests = {"sha256": hashlib.sha256()}
    if algo and algo not in digests:
        digests[algo] = hashlib.new(algo)
    with part.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            for digest in digests.values():
                digest.update(chunk)
    if algo and digests[algo].hexdigest() != expected.lower():
        _discard(part, meta)
        raise FetchError(f"{url}: checksum mismatch: {algo} {digests[algo].hexdigest()}, expected {expected}; "
                         "the file was removed (if the publisher changed it, pass --checksum none or the new one)")
    return digests["sha256"].hexdigest()


def _saved(meta: Path, url: str) -> tuple[bool, Optional[str]]:
    """Whether the partial download was of ``url``, and the server's validator for it then."""
    try:
        saved = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False, None
    return saved.get("url") == url, saved.get("validator")


def _response_validator(response: http.client.HTTPResponse) -> Optional[str]:
    etag = response.headers.get("ETag")
    if etag and not etag.startswith("W/"):  # If-Range needs a strong ETag
        return etag
    return response.headers.get("Last-Modified")


def _discard(part: Path, meta: Path) -> None:
    part.unlink(missing_ok=True)
    meta.unlink(missing_ok=True)
