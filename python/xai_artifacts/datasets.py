"""Datasets: records, files (uploaded as one version per call), profiles and previews, versions,
aliases and lineage, downloads through the cache."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._paging import pages, q
from ._uploads import file_parts
from ._deliver import deliver_file
from .errors import ApiError
from .snapshots import resolve_version, snapshot_download

if TYPE_CHECKING:
    from .client import Client

Records = list[dict[str, Any]]  # (a module-level name: the class's own list() would shadow the builtin)


class Datasets:
    def __init__(self, client: Client) -> None:
        self._client = client
        self._t = client.transport

    # --- records -----------------------------------------------------------------------------
    def create(
        self,
        name: str,
        *,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        status: str | None = None,
        exist_ok: bool = False,
    ) -> dict[str, Any]:
        """A dataset without files (add them with ``upload``); ``exist_ok`` answers the existing one."""
        body = {k: v for k, v in {"name": name, "description": description, "tags": tags, "status": status}.items() if v is not None}
        try:
            return self._t.obj("POST", "/datasets", json=body)
        except ApiError as error:
            if exist_ok and error.code == "dataset_exists":
                return self.get(name)
            raise

    def list(self, *, tag: str | None = None, q: str | None = None, page_size: int = 100) -> Iterator[dict[str, Any]]:
        return pages(self._t, "/datasets", {"tag": tag, "q": q}, page_size=page_size)

    def get(self, dataset: str) -> dict[str, Any]:
        return self._t.obj("GET", f"/datasets/{q(dataset)}")

    def exists(self, dataset: str) -> bool:
        try:
            self.get(dataset)
            return True
        except ApiError as error:
            if error.code == "dataset_not_found":
                return False
            raise

    def update(self, dataset: str, **fields: Any) -> dict[str, Any]:
        """PATCH: ``description``, ``tags``, ``status``, ``name``."""
        return self._t.obj("PATCH", f"/datasets/{q(dataset)}", json=fields)

    def delete(self, dataset: str, *, cascade: bool = False) -> None:
        self._t.json("DELETE", f"/datasets/{q(dataset)}", params={"cascade": cascade or None})

    # --- files -------------------------------------------------------------------------------
    def files(self, dataset: str, *, version: int | str | None = None) -> Records:
        """The files of the latest version, or of ``version`` (a number, latest or an alias)."""
        if version is None:
            files: Records = self.get(dataset)["files"]
        else:
            files = self.version(dataset, version)["files"]
        return files

    def file(self, dataset: str, path: str, *, version: int | str | None = None) -> dict[str, Any]:
        for file in self.files(dataset, version=version):
            if file["path"] == path:
                return file
        raise ApiError(404, "file_not_found", f"{dataset} has no file {path!r}" + (f" in version {version}" if version else "") + ".")

    def upload(
        self,
        dataset: str,
        local: str | os.PathLike[str],
        path: str | None = None,
        *,
        overwrite: bool = False,
        create: bool = True,
        progress: bool | None = None,
    ) -> dict[str, Any]:
        """A file (at ``path`` in the dataset, default its name) or a folder's files (under
        ``path``): one new dataset version. Files from 64 MiB go by resumable direct upload.
        ``create`` makes the dataset when it does not exist. Answers the dataset."""
        parts = file_parts(local, path)
        if create:
            self.create(dataset, exist_ok=True)
        uploader = self._client.uploader
        if not uploader.is_large(parts):
            return uploader.form(
                f"/datasets/{q(dataset)}/files", {}, parts, params={"overwrite": overwrite or None}, progress=progress
            )
        result: dict[str, Any] = {}
        for part in parts:  # each large file is its own session (and version)
            target = {"type": "dataset-file", "dataset": dataset, "path": part.path, "overwrite": overwrite}
            result = self._client.sessions.upload(part.local, target, progress=progress)["result"]
        return result

    def delete_file(self, dataset: str, path: str) -> None:
        """Removes the file from the latest version (a new version without it)."""
        file = self.file(dataset, path)
        self._t.json("DELETE", f"/datasets/{q(dataset)}/files/{file['id']}")

    def profile(self, dataset: str, path: str, *, version: int | str | None = None) -> dict[str, Any] | None:
        """The file's whole profile (rows, columns with types, nulls, min/max, top values), or
        None for a format that is not profiled."""
        file = self.file(dataset, path, version=version)
        profile: dict[str, Any] | None = self._t.obj("GET", f"/datasets/{q(dataset)}/files/{file['id']}/profile").get("profile")
        return profile

    def preview(self, dataset: str, path: str, *, rows: int = 20, version: int | str | None = None) -> dict[str, Any]:
        file = self.file(dataset, path, version=version)
        return self._t.obj("GET", f"/datasets/{q(dataset)}/files/{file['id']}/preview", params={"rows": rows})

    def download_url(self, dataset: str, path: str, *, version: int | str | None = None, expires_in: int | None = None) -> str:
        file = self.file(dataset, path, version=version)
        answer = self._t.obj("GET", f"/datasets/{q(dataset)}/files/{file['id']}/download", params={"expiresIn": expires_in})
        return self._t.url(answer["url"])

    def download(
        self,
        dataset: str,
        path: str,
        local_path: str | os.PathLike[str] | None = None,
        *,
        version: int | str = "latest",
        offline: bool | None = None,
        progress: bool | None = None,
    ) -> Path:
        """One file of a version. Without ``local_path``: the cached copy (read-only, under its
        own name). With it: the file written there, verified, resumable, never partial (from
        the cache when it holds the bytes, else straight from storage)."""
        manifest = resolve_version(self._client, dataset, version, offline=offline)
        found = next((f for f in manifest["files"] if f["path"] == path), None)
        if found is None:
            raise ApiError(404, "file_not_found", f"Version {manifest['version']} of {dataset} has no file {path!r}.")
        file: dict[str, Any] = found

        def link() -> str:
            answer = self._t.obj("GET", f"/datasets/{q(dataset)}/files/{file['id']}/download")
            return self._t.url(answer["url"])

        return deliver_file(self._client, file, link, local_path, progress=progress)

    def snapshot_download(self, dataset: str, version: int | str = "latest", **options: Any) -> Path:
        return snapshot_download(self._client, dataset, version, **options)

    # --- versions, aliases, lineage ---------------------------------------------------------
    def versions(self, dataset: str) -> Iterator[dict[str, Any]]:
        return pages(self._t, f"/datasets/{q(dataset)}/versions")

    def version(self, dataset: str, ref: int | str = "latest", *, links: bool = False) -> dict[str, Any]:
        return self._t.obj("GET", f"/datasets/{q(dataset)}/versions/{q(ref)}", params={"links": links or None})

    def delete_version(self, dataset: str, version: int) -> None:
        self._t.json("DELETE", f"/datasets/{q(dataset)}/versions/{q(version)}")

    def lineage(self, dataset: str, ref: int | str = "latest") -> dict[str, Any]:
        return self._t.obj("GET", f"/datasets/{q(dataset)}/versions/{q(ref)}/lineage")

    def set_alias(self, dataset: str, alias: str, version: int) -> dict[str, Any]:
        """Points (or moves) ``alias`` at a version; every move is kept in its history."""
        return self._t.obj("PUT", f"/datasets/{q(dataset)}/aliases/{q(alias)}", json={"version": version})

    def alias(self, dataset: str, alias: str) -> dict[str, Any]:
        return self._t.obj("GET", f"/datasets/{q(dataset)}/aliases/{q(alias)}")

    def delete_alias(self, dataset: str, alias: str) -> None:
        self._t.json("DELETE", f"/datasets/{q(dataset)}/aliases/{q(alias)}")

    def alias_history(self, dataset: str, alias: str, *, at: str | None = None) -> Iterator[dict[str, Any]]:
        return pages(self._t, f"/datasets/{q(dataset)}/aliases/{q(alias)}/history", {"at": at})


