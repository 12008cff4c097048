"""Getting stored files onto disk the same way for every kind: one file to the cache or to a
path, a version of several files to a folder (built whole, then renamed into place)."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from .downloads import LinkSource, download_verified
from .snapshots import copy_out, materialize

if TYPE_CHECKING:
    from .client import Client


def deliver_file(
    client: Client,
    file: dict[str, Any],
    link: LinkSource,
    local_path: str | os.PathLike[str] | None,
    *,
    progress: bool | None = None,
) -> Path:
    """Without ``local_path``: the cached copy under its own name (read-only). With it (a file,
    or a folder to put it in): written there verified and whole, from the cache when it holds
    the bytes, else straight from storage, resuming a partial download left by an earlier try."""
    cache = client.cache
    name = PurePosixPath(file["path"]).name
    if local_path is None:
        cache.fetch(file["sha256"], file["size"], link, progress=progress)
        return cache.named(file["sha256"], name)
    destination = Path(local_path)
    if destination.is_dir():
        destination = destination / name
    cached = cache.cached(file["sha256"])
    if cached:
        destination.parent.mkdir(parents=True, exist_ok=True)
        temp = destination.with_name(f".{destination.name}.{uuid.uuid4().hex[:8]}.tmp")
        shutil.copyfile(cached, temp)
        os.replace(temp, destination)
        return destination
    return download_verified(
        link, destination, sha256=file["sha256"], size=file["size"], progress=progress, session=client.storage_session
    )


def download_version(
    client: Client, kind: str, record: dict[str, Any], local_path: str | os.PathLike[str] | None, *, progress: bool | None = None
) -> Path:
    """A model version or explanation: its one file, or a folder of its files."""

    def link_for(file: dict[str, Any]) -> LinkSource:
        def link() -> str:
            answer = client.transport.obj("GET", f"/{kind}/{record['id']}/files/{file['id']}/download")
            return client.transport.url(answer["url"])

        return link

    files = record["files"]
    if len(files) == 1:
        return deliver_file(client, files[0], link_for(files[0]), local_path, progress=progress)
    folder: Path = client.cache.snapshots_dir(client.transport.api_url, kind) / record["id"]
    materialize(client, folder, files, link_for, progress=progress)
    return folder if local_path is None else copy_out(folder, files, Path(local_path))
