"""An on-disk cache of training snapshots, keyed by a cheap fingerprint of the graph.

The fingerprint is one stored query answered from Neo4j's count store (node counts per data
label, relationship counts per data type) plus the newest completed load run id, so any load
(even one that changes only property values) gives a new key, while train, explain and predict
runs (which only add Run/Prediction nodes) do not. A snapshot is kept as ``x.npy`` (the signature
matrix, written once: the paged export fills it in place as a memory-mapped file), ``arrays.npz``
(the other arrays, ``np.savez``; both read back with ``allow_pickle=False``) and ``meta.json``;
never pickle. A matrix of :data:`MEMMAP_MIN_BYTES` or more is read back memory-mapped
copy-on-write (changes stay in the process, never reach the file). Entries of an older
:data:`FORMAT` are never read: their key differs, and a mismatching ``meta.json`` is a miss. The
content hash (:func:`toolkit.train.export.data_hash`, QC metadata included) is stored with it and
checked on every read, so a damaged entry is a miss, not wrong data. The signatures' QC metadata
(:class:`toolkit.train.export.SignatureQuality`) is kept beside the arrays.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

import numpy as np

from toolkit import cypher
from toolkit.graph.db import Graph
from toolkit.models import GraphContext, TaskData, release_pages
from toolkit.train.export import GO_MAX_GENES, GO_MIN_GENES, SignatureQuality, data_hash, export_snapshot

logger = logging.getLogger(__name__)

FORMAT = "kgtool-snapshot/3"  # bump when the export or the file layout changes
X = "x.npy"
ARRAYS = "arrays.npz"
MEMMAP_MIN_BYTES = 256 * 2**20  # larger signature matrices are read back memory-mapped
META = "meta.json"
KEEP_ENTRIES = 8  # newest snapshots kept per cache folder


@dataclass(frozen=True)
class ExportOptions:
    """What the export reads; part of the cache key."""

    with_context: bool = False
    go_min_genes: int = GO_MIN_GENES
    go_max_genes: int = GO_MAX_GENES
    signatures: str = "auto"  # the signature level (toolkit.train.export.SIGNATURE_LEVELS)


@dataclass(frozen=True)
class Snapshot:
    """A snapshot and where it came from."""

    data: TaskData
    data_hash: str
    fingerprint: str
    cache_hit: bool
    seconds: float  # time to produce it (fingerprint + read, or fingerprint + export + write)
    path: Optional[Path] = None  # the cache entry, None when caching is off
    quality: Optional[SignatureQuality] = None  # the rows' QC metadata (qc_pass, cc_q75)


def graph_fingerprint(graph: Graph) -> str:
    """Hash of the data counts and the newest completed load run (two cheap queries)."""
    counts = [[r["kind"], r["name"], int(r["count"])] for r in graph.read(cypher.load("export/fingerprint_counts"))]
    newest = graph.read(cypher.load("export/newest_load_run"))
    payload = {"format": FORMAT, "uri": graph.settings.bolt_uri, "database": graph.database,
               "counts": counts, "newest_load_run": newest[0]["run_id"] if newest else None}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def cache_key(fingerprint: str, options: ExportOptions) -> str:
    text = json.dumps({"fingerprint": fingerprint, "options": asdict(options), "format": FORMAT}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def snapshot(graph: Graph, cache_dir: Optional[Path], options: ExportOptions = ExportOptions(),
             refresh: bool = False) -> Snapshot:
    """The graph's snapshot: from ``cache_dir`` when the fingerprint matches, else exported (and
    stored there). ``cache_dir=None`` turns caching off; ``refresh`` re-exports regardless."""
    tic = time.perf_counter()
    fingerprint = graph_fingerprint(graph)
    if cache_dir is None:
        data, quality = _export(graph, options)
        return Snapshot(data, data_hash(data, quality), fingerprint, False, time.perf_counter() - tic,
                        quality=quality)
    entry = Path(cache_dir) / "snapshots" / cache_key(fingerprint, options)
    if not refresh and entry.is_dir():
        cached = read_snapshot_entry(entry)
        if cached is not None:
            data, quality, digest = cached
            os.utime(entry)  # recently used entries survive pruning
            seconds = time.perf_counter() - tic
            logger.info("snapshot cache hit %s (%.3f s)", entry.name, seconds)
            return Snapshot(data, digest, fingerprint, True, seconds, entry, quality)
    staged = _staging(entry)
    try:
        data, quality = _export(graph, options, staged / X)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    digest = data_hash(data, quality)
    wrote = write_entry(entry, data, digest, {"fingerprint": fingerprint, "options": asdict(options)}, quality,
                        staged)
    # hand out the stored matrix (or, when another writer's entry was kept, a copy), not the writable map
    x = _read_x(entry / X, len(data.sample_ids), len(data.gene_ids)) if wrote else np.array(data.x)
    release_pages(data.x)
    data = replace(data, x=x)
    prune(entry.parent, KEEP_ENTRIES)
    seconds = time.perf_counter() - tic
    logger.info("snapshot cache miss %s: exported and stored (%.3f s)", entry.name, seconds)
    return Snapshot(data, digest, fingerprint, False, seconds, entry, quality)


def _export(graph: Graph, options: ExportOptions,
            x_path: Optional[Path] = None) -> tuple[TaskData, SignatureQuality]:
    kwargs = {} if x_path is None else {"x_path": x_path}
    return export_snapshot(graph, with_context=options.with_context, go_min_genes=options.go_min_genes,
                           go_max_genes=options.go_max_genes, level=options.signatures, **kwargs)


def _staging(entry: Path) -> Path:
    """A new temporary folder beside ``entry`` (renamed to it once complete)."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = entry.parent / f".{entry.name}.{os.getpid()}.{secrets.token_hex(4)}"
    tmp.mkdir()
    return tmp


def _read_x(path: Path, rows: int, genes: int) -> np.ndarray:
    """The signature matrix of an entry: in memory, or memory-mapped copy-on-write when large."""
    big = path.stat().st_size >= MEMMAP_MIN_BYTES
    x = np.load(path, mmap_mode="c" if big else None, allow_pickle=False)
    if x.dtype != np.float32 or x.shape != (rows, genes):
        raise ValueError(f"{path.name} holds {x.dtype} {x.shape}, expected float32 {(rows, genes)}")
    return x


def write_entry(entry: Path, data: TaskData, digest: str, extra: dict[str, Any],
                quality: Optional[SignatureQuality] = None, staged: Optional[Path] = None) -> bool:
    """Write atomically: into a temporary folder beside ``entry`` (``staged``, when the export
    already wrote the signature matrix there), then rename (no QC metadata: every row's is unknown).
    False when ``entry`` already existed and was kept."""
    tmp = staged if staged is not None else _staging(entry)
    try:
        if not (tmp / X).exists():
            np.save(tmp / X, np.asarray(data.x, dtype=np.float32), allow_pickle=False)
        quality = quality if quality is not None else SignatureQuality.unknown(len(data.sample_ids))
        arrays: dict[str, np.ndarray] = {"y": data.y,
                                         "gene_ids": np.asarray(data.gene_ids, dtype=np.int64),
                                         "qc_pass": quality.qc_pass, "cc_q75": quality.cc_q75}
        meta: dict[str, Any] = {
            "format": FORMAT, "data_hash": digest, "created_at": datetime.now(timezone.utc).isoformat(),
            "sample_ids": list(data.sample_ids), "compound_ids": list(data.compound_ids),
            "classes": list(data.classes), "cell_ids": list(data.cell_ids), "context": None, **extra,
        }
        ctx = data.context
        if ctx is not None:
            arrays.update(gene_edges=ctx.gene_edges, edge_weight=ctx.edge_weight, gene_go=ctx.gene_go,
                          go_edges=ctx.go_edges)
            meta["context"] = {"go_ids": list(ctx.go_ids), "go_names": list(ctx.go_names),
                               "compound_smiles": dict(ctx.compound_smiles),
                               "compound_scaffold": dict(ctx.compound_scaffold)}
        np.savez(tmp / ARRAYS, **arrays)
        (tmp / META).write_text(json.dumps(meta))
        if entry.exists():  # a concurrent writer got there first: same key, same content
            shutil.rmtree(tmp)
            return False
        os.replace(tmp, entry)
        return True
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_entry(entry: Path) -> Optional[tuple[TaskData, str]]:
    """The snapshot in ``entry`` and its hash, or None (removed) when unreadable or damaged."""
    cached = read_snapshot_entry(entry)
    return None if cached is None else (cached[0], cached[2])


def read_snapshot_entry(entry: Path) -> Optional[tuple[TaskData, SignatureQuality, str]]:
    """The snapshot in ``entry``, its QC metadata and its hash, or None (removed) when unreadable
    or damaged."""
    try:
        meta = json.loads((entry / META).read_text())
        if meta.get("format") != FORMAT:
            raise ValueError(f"format {meta.get('format')!r}")
        with np.load(entry / ARRAYS, allow_pickle=False) as arrays:
            loaded = {k: arrays[k] for k in arrays.files}
        loaded["x"] = _read_x(entry / X, len(meta["sample_ids"]), len(loaded["gene_ids"]))
        context = None
        if meta["context"] is not None:
            c = meta["context"]
            context = GraphContext(
                gene_edges=loaded["gene_edges"], edge_weight=loaded["edge_weight"], go_ids=tuple(c["go_ids"]),
                go_names=tuple(c["go_names"]), gene_go=loaded["gene_go"], go_edges=loaded["go_edges"],
                compound_smiles=dict(c["compound_smiles"]), compound_scaffold=dict(c["compound_scaffold"]),
            )
        data = TaskData(
            x=loaded["x"], y=loaded["y"], sample_ids=tuple(meta["sample_ids"]),
            compound_ids=tuple(meta["compound_ids"]), gene_ids=tuple(int(g) for g in loaded["gene_ids"]),
            classes=tuple(meta["classes"]), cell_ids=tuple(meta["cell_ids"]), context=context,
        )
        quality = SignatureQuality(np.asarray(loaded["qc_pass"], dtype=np.int8),
                                   np.asarray(loaded["cc_q75"], dtype=np.float32))
        if quality.qc_pass.shape != (len(data.sample_ids),) or quality.cc_q75.shape != quality.qc_pass.shape:
            raise ValueError("QC metadata does not match the rows")
        digest = data_hash(data, quality)
        release_pages(data.x)  # hashing read every page of a memory-mapped matrix: hand them back
        if digest != meta["data_hash"]:
            raise ValueError("content hash mismatch")
        return data, quality, digest
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("snapshot cache entry %s is unusable (%s); removing it", entry, exc)
        shutil.rmtree(entry, ignore_errors=True)
        return None


def prune(folder: Path, keep: int) -> None:
    """Keep the ``keep`` most recently written entries of ``folder``."""
    entries = sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def clear(cache_dir: Path) -> None:
    """Remove every cached snapshot."""
    shutil.rmtree(Path(cache_dir) / "snapshots", ignore_errors=True)
