"""Exact dataset versions on disk. ``snapshot_download`` answers a folder holding exactly the
files of one dataset version (or those matching ``allow_patterns``), each verified against its
SHA-256, built beside its final place and renamed into it when complete: a snapshot folder never
exists half-written. Bytes come from the content-addressed cache, so versions sharing files
download them once. Numbered versions are immutable: with the API unreachable (or
``offline=True``, ``XAI_OFFLINE=1``) a version cached before is answered from the cache alone."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from . import _state
from .downloads import LinkSource
from .errors import ApiError

if TYPE_CHECKING:
    from .client import Client


def _patterns(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def select_files(
    files: list[dict[str, Any]], allow_patterns: str | Sequence[str] | None, ignore_patterns: str | Sequence[str] | None
) -> list[dict[str, Any]]:
    """The files whose path matches an allowed pattern and no ignored one (fnmatch: * crosses /)."""
    allow, ignore = _patterns(allow_patterns), _patterns(ignore_patterns)
    return [
        f
        for f in files
        if (allow is None or any(fnmatch.fnmatchcase(f["path"], p) for p in allow))
        and not (ignore and any(fnmatch.fnmatchcase(f["path"], p) for p in ignore))
    ]


def safe_relative(path: str) -> PurePosixPath:
    """A dataset path as a relative path that stays inside the folder."""
    relative = PurePosixPath(path)
    if relative.is_absolute() or any(part in ("", ".", "..") for part in relative.parts) or "\\" in path:
        raise ApiError(None, "invalid_path", f"The server named a file {path!r}, which cannot be placed in a folder.")
    return relative


def offline_mode(offline: bool | None) -> bool:
    return offline if offline is not None else os.environ.get("XAI_OFFLINE", "") not in ("", "0", "false")


def resolve_version(client: Client, dataset: str, version: int | str, *, offline: bool | None) -> dict[str, Any]:
    """The version's manifest, with download links when online. Cached manifests answer offline:
    a number always (versions never change), ``latest`` or an alias as last seen."""
    manifests = client.cache.manifests_dir(client.transport.api_url, dataset)
    ref = str(version)
    if not offline_mode(offline):
        try:
            answer = client.transport.obj(
                "GET", f"/datasets/{_q(dataset)}/versions/{_q(ref)}", params={"links": True, "expiresIn": 3600}
            )
        except ApiError as error:
            if error.code != "unreachable":
                raise
        else:
            stored = {**answer, "files": [{k: v for k, v in f.items() if k not in ("url", "expiresAt")} for f in answer["files"]]}
            _state.write_json(manifests / f"v{answer['version']}.json", stored)
            if not ref.isdigit():
                _state.write_json(manifests / f"ref-{ref}.json", {"version": answer["version"]})
            return answer
    number = ref if ref.isdigit() else (_state.read_json(manifests / f"ref-{ref}.json") or {}).get("version")
    manifest = _state.read_json(manifests / f"v{number}.json") if number is not None else None
    if not isinstance(manifest, dict):
        raise ApiError(None, "unreachable", f"Version {ref} of {dataset} is not cached and the API cannot be asked.")
    return manifest


def snapshot_download(
    client: Client,
    dataset: str,
    version: int | str = "latest",
    *,
    allow_patterns: str | Sequence[str] | None = None,
    ignore_patterns: str | Sequence[str] | None = None,
    local_dir: str | os.PathLike[str] | None = None,
    offline: bool | None = None,
    progress: bool | None = None,
) -> Path:
    """A folder holding exactly the files of one dataset version (or those matching the
    patterns), verified; it appears only when complete, and is answered from the cache next
    time (without network for a numbered version)."""
    manifest = resolve_version(client, dataset, version, offline=offline)
    selected = select_files(manifest["files"], allow_patterns, ignore_patterns)
    name = f"v{manifest['version']}-{manifest['digest'][:12]}"
    if allow_patterns is not None or ignore_patterns is not None:
        chosen = "\n".join(sorted(f["path"] for f in selected))
        name += f"-p{hashlib.sha256(chosen.encode()).hexdigest()[:8]}"
    base = client.cache.snapshots_dir(client.transport.api_url, dataset)
    folder = base / name

    materialize(client, folder, selected, lambda f: _link_for(client, dataset, f), progress=progress)
    return folder if local_dir is None else copy_out(folder, selected, Path(local_dir))


def materialize(
    client: Client,
    folder: Path,
    files: list[dict[str, Any]],
    link_for: Callable[[dict[str, Any]], LinkSource],
    *,
    progress: bool | None = None,
) -> Path:
    """``folder`` holding exactly ``files`` (``path``, ``sha256``, ``size``) as links to cached
    blobs: fetched into the cache, linked into a temp folder beside it, renamed into place."""
    relatives = {f["path"]: safe_relative(f["path"]) for f in files}
    protect = {f["sha256"] for f in files}
    if folder.is_dir():
        for sha256 in protect:
            client.cache.cached(sha256)  # recently used
        return folder
    for f in files:
        client.cache.fetch(f["sha256"], f["size"], link_for(f), protect=protect, progress=progress, evict=False)
    temp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        for f in files:
            client.cache.link(client.cache.blob_path(f["sha256"]), temp / relatives[f["path"]])
        temp.mkdir(parents=True, exist_ok=True)  # an empty selection is an empty folder
        try:
            os.rename(temp, folder)  # atomic: the folder appears complete or not at all
        except OSError:
            if not folder.is_dir():
                raise
            shutil.rmtree(temp, ignore_errors=True)  # another process finished it first
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    client.cache.record_snapshot(folder, protect)
    client.cache.evict(protect=protect)
    return folder


def copy_out(folder: Path, files: list[dict[str, Any]], target: Path) -> Path:
    """Copies a materialized folder's files to ``target`` (each written whole, then renamed)."""
    for f in files:
        relative = safe_relative(f["path"])
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        temp_file = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.tmp")
        shutil.copyfile(folder / relative, temp_file)
        os.replace(temp_file, destination)
    return target


def _link_for(client: Client, dataset: str, file: dict[str, Any]) -> LinkSource:
    """The manifest's link first; a fresh one for the file (by its immutable id) after that."""
    first = [file.get("url")]

    def link() -> str:
        url = first.pop() if first and first[0] else None
        first.clear()
        if url:
            return client.transport.url(url)
        answer = client.transport.obj("GET", f"/datasets/{_q(dataset)}/files/{file['id']}/download")
        return client.transport.url(answer["url"])

    return link


def _q(segment: str) -> str:
    from urllib.parse import quote

    return quote(segment, safe="")
