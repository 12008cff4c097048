"""The local cache (``~/.cache/xai-artifacts``, or ``XAI_CACHE_DIR``), content-addressed: each
file's bytes are stored once under their SHA-256 (``blobs/ab/abcd…``, read-only), whatever
dataset, version or model they belong to. Snapshot folders and named files are hard links to the
blobs (copies where the filesystem has none). The cache keeps itself under ``max_bytes``
(``XAI_CACHE_MAX_BYTES``, default 20 GiB) by evicting the least recently used blobs, never the
ones the current call needs, with every snapshot folder that used them.

Layout::

    blobs/ab/<sha256>                     the bytes
    files/<sha256>/<name>                 a blob under its file name (single-file downloads)
    snapshots/<api>/<dataset>/v<N>-<digest>[-p<patterns>]/…   complete dataset versions
    manifests/<api>/<dataset>/…           version manifests and refs, for answers without network
    index/<snapshot id>.json              which blobs each snapshot folder links
    uploads/<key>.json                    sessions of unfinished uploads, to resume them
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from . import _state
from ._locks import file_lock
from .downloads import LinkSource, download_verified

GiB = 1024**3
DEFAULT_MAX_BYTES = 20 * GiB


def default_cache_dir() -> Path:
    configured = os.environ.get("XAI_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "xai-artifacts"


def default_max_bytes() -> int:
    configured = os.environ.get("XAI_CACHE_MAX_BYTES")
    return int(configured) if configured else DEFAULT_MAX_BYTES


@dataclass
class CacheInfo:
    root: Path
    size_bytes: int
    max_bytes: int
    blobs: int
    snapshots: int


@dataclass
class CacheStats:
    """What this process fetched over the network into the cache, and what it found there."""

    downloaded_bytes: int = 0
    downloads: int = 0
    hits: int = 0
    evicted: list[str] = field(default_factory=list)


class Cache:
    def __init__(self, root: Path | str | None = None, max_bytes: int | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.max_bytes = max_bytes if max_bytes is not None else default_max_bytes()
        self.stats = CacheStats()
        #: The HTTP session downloads use (signed storage URLs: no API credential on it).
        self.session: requests.Session | None = None

    # --- paths -------------------------------------------------------------------------------
    @property
    def uploads_dir(self) -> Path:
        return self.root / "uploads"

    def blob_path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256: {sha256!r}")
        return self.root / "blobs" / sha256[:2] / sha256

    def manifests_dir(self, api_url: str, dataset: str) -> Path:
        return self.root / "manifests" / _slug(api_url) / _safe_name(dataset)

    def snapshots_dir(self, api_url: str, dataset: str) -> Path:
        return self.root / "snapshots" / _slug(api_url) / _safe_name(dataset)

    # --- blobs -------------------------------------------------------------------------------
    def cached(self, sha256: str) -> Path | None:
        """The blob if present (and marks it recently used)."""
        path = self.blob_path(sha256)
        try:
            os.utime(path)
        except FileNotFoundError:
            return None
        self.stats.hits += 1
        return path

    def fetch(
        self,
        sha256: str,
        size: int,
        link: LinkSource,
        *,
        protect: Iterable[str] = (),
        progress: bool | None = None,
        evict: bool = True,
    ) -> Path:
        """The blob of ``sha256``, downloaded (verified, resumable) unless it is cached."""
        found = self.cached(sha256)
        if found:
            return found
        path = self.blob_path(sha256)
        download_verified(link, path, sha256=sha256, size=size, progress=progress, session=self.session)
        os.chmod(path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # edits must not reach other snapshots
        self.stats.downloads += 1
        self.stats.downloaded_bytes += size
        if evict:
            self.evict(protect=set(protect) | {sha256})
        return path

    def named(self, sha256: str, name: str) -> Path:
        """The blob under its file name (``files/<sha256>/<name>``), for tools that read extensions."""
        target = self.root / "files" / sha256 / _safe_name(name)
        if not target.exists():
            self.link(self.blob_path(sha256), target)
        return target

    def link(self, blob: Path, target: Path) -> None:
        """A hard link to the blob at ``target`` (a copy where links are not possible)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            os.link(blob, temp)
        except OSError:
            shutil.copyfile(blob, temp)
        os.replace(temp, target)

    # --- size bound --------------------------------------------------------------------------
    def evict(self, *, protect: set[str] | None = None) -> list[str]:
        """Removes least recently used blobs (and the snapshots and named files that use them)
        until the cache fits ``max_bytes``; ``protect`` names blobs that must stay."""
        protect = protect or set()
        evicted: list[str] = []
        with file_lock(self.root / ".lock"):
            blobs = sorted(self._blobs(), key=lambda entry: entry[2])
            total = self._size()
            for sha256, path, _used, size in blobs:
                if total <= self.max_bytes:
                    break
                if sha256 in protect:
                    continue
                freed = size + self._drop_users(sha256)
                path.unlink(missing_ok=True)
                total -= freed
                evicted.append(sha256)
        self.stats.evicted.extend(evicted)
        return evicted

    def _drop_users(self, sha256: str) -> int:
        """Removes every snapshot and named file linking the blob; answers the bytes that frees
        beyond the blob itself (copies, where links were not possible)."""
        freed = 0
        named = self.root / "files" / sha256
        if named.exists():
            shutil.rmtree(named, ignore_errors=True)
        index = self.root / "index"
        for record_path in index.glob("*.json") if index.exists() else []:
            record = _state.read_json(record_path) or {}
            if sha256 in record.get("blobs", []):
                folder = Path(record.get("path", ""))
                if folder.is_dir():
                    freed += sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and f.stat().st_nlink == 1)
                    shutil.rmtree(folder, ignore_errors=True)
                record_path.unlink(missing_ok=True)
        return freed

    def _blobs(self) -> list[tuple[str, Path, float, int]]:
        found = []
        for path in (self.root / "blobs").glob("??/*"):
            if path.name.startswith("."):
                continue
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            found.append((path.name, path, info.st_mtime, info.st_size))
        return found

    def _size(self) -> int:
        """Bytes on disk: each inode once (a snapshot's links cost nothing beyond their blob)."""
        seen: set[tuple[int, int]] = set()
        total = 0
        for folder in ("blobs", "files", "snapshots"):
            for path in (self.root / folder).rglob("*"):
                try:
                    info = path.lstat()
                except FileNotFoundError:
                    continue
                if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
                total += info.st_size
        return total

    # --- public ------------------------------------------------------------------------------
    def info(self) -> CacheInfo:
        index = self.root / "index"
        snapshots = len(list(index.glob("*.json"))) if index.exists() else 0
        return CacheInfo(self.root, self._size(), self.max_bytes, len(self._blobs()), snapshots)

    def clear(self) -> None:
        """Removes everything cached (unfinished uploads' resume state stays)."""
        with file_lock(self.root / ".lock"):
            for folder in ("blobs", "files", "snapshots", "manifests", "index"):
                path = self.root / folder
                if path.exists():
                    for child in path.rglob("*"):
                        if child.is_file():
                            child.chmod(stat.S_IWUSR | stat.S_IRUSR)
                    shutil.rmtree(path, ignore_errors=True)

    def record_snapshot(self, folder: Path, blobs: Iterable[str]) -> None:
        key = hashlib.sha256(str(folder).encode()).hexdigest()[:32]
        _state.write_json(self.root / "index" / f"{key}.json", {"path": str(folder), "blobs": sorted(set(blobs))})


def _slug(api_url: str) -> str:
    readable = "".join(c if c.isalnum() else "-" for c in api_url.split("://", 1)[-1]).strip("-")[:48]
    return f"{readable}-{hashlib.sha256(api_url.encode()).hexdigest()[:8]}"


def _safe_name(name: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"not a safe file name: {name!r}")
    return name
