"""A drop-in for the platform's boto3 ``R2StorageClient``: the same four methods on the same
remote paths (see ``layout``), stored through the API with SHA-256, versions and lineage.

    # from storage.r2 import R2StorageClient
    from xai_artifacts.compat import R2StorageClient

Differences worth knowing: a model path names an immutable version (uploading ``_v2`` when
version 2 exists with other bytes is refused, with the same bytes it is a no-op); a dataset
upload replaces the file at that path in a new dataset version (older versions keep theirs);
failures raise ``ApiError`` instead of returning False."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from . import layout
from ._uploads import sha256_file
from .client import Client
from .errors import ApiError


class R2StorageClient:
    """``api_url``/``api_key`` default to ``XAI_API_URL``/``XAI_API_KEY``. ``explanation_models``
    maps a dataset to the model name its explanations belong to (default: the dataset's most
    recent model version); boto3 settings the old constructor took (bucket, keys) are ignored."""

    def __init__(
        self,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        client: Client | None = None,
        explanation_models: dict[str, str] | None = None,
        **_boto3_settings: Any,
    ) -> None:
        self.client = client or Client(api_url, api_key)
        self.explanation_models = dict(explanation_models or {})

    # --- the four methods -------------------------------------------------------------------
    def upload_file(self, local_path: str | os.PathLike[str], remote_path: str) -> bool:
        target = layout.parse(remote_path)
        local = Path(local_path)
        if not local.is_file():
            raise FileNotFoundError(str(local))
        if isinstance(target, layout.DatasetFile):
            self.client.datasets.upload(target.dataset, local, target.path, overwrite=True)
        elif isinstance(target, layout.ModelFile):
            self._upload_model(local, target, remote_path)
        else:
            model = self._explained_model(target.dataset)
            method = "lime" if "lime" in PurePosixPath(target.path).name.lower() else "shap"
            self.client.explanations.upload(model["id"], method, local, path=target.path)
        return True

    def download_file(self, remote_path: str, local_path: str | os.PathLike[str]) -> bool:
        target = layout.parse(remote_path)
        destination = Path(local_path)
        if isinstance(target, layout.DatasetFile):
            self.client.datasets.download(target.dataset, target.path, destination)
        elif isinstance(target, layout.ModelFile):
            record = self._model(target, remote_path)
            self.client.models.download(record, self._single_file(record, remote_path, destination))
        else:
            record = self._explanations_with(target)[0]
            self._download_explanation_file(record, target.path, destination)
        return True

    def delete_file(self, remote_path: str) -> bool:
        target = layout.parse(remote_path)
        if isinstance(target, layout.DatasetFile):
            self.client.datasets.delete_file(target.dataset, target.path)
        elif isinstance(target, layout.ModelFile):
            self.client.models.delete(self._model(target, remote_path)["id"])
        else:
            for record in self._explanations_with(target):  # the path names them all, as one key would
                self.client.explanations.delete(record["id"])
        return True

    def list_files(self, prefix: str = "") -> list[str]:
        """Every stored path under ``prefix``, in the layout, sorted."""
        return sorted(path for path in self._paths(prefix) if path.startswith(prefix))

    # --- models -----------------------------------------------------------------------------
    def _upload_model(self, local: Path, target: layout.ModelFile, remote_path: str) -> None:
        if target.version is not None:
            existing = self._find_model(target.dataset, target.model, target.version)
            if existing is not None:
                if existing.get("sha256") == sha256_file(local):
                    return  # already stored: uploading the same version again changes nothing
                raise ApiError(
                    409,
                    "version_exists",
                    f"{remote_path}: version {target.version} of {target.model} holds other bytes and versions are "
                    f"immutable; save it as the next version instead.",
                )
            latest = self._find_model(target.dataset, target.model, "latest")
            following = (latest["version"] if latest else 0) + 1
            if target.version != following:
                raise ApiError(
                    409,
                    "version_gap",
                    f"{remote_path}: the next version of {target.model} is {following}; versions are numbered by the API.",
                )
        self.client.datasets.create(target.dataset, exist_ok=True)
        self.client.models.upload(target.dataset, target.model, local, path=f"{target.model}.{target.ext}")

    def _find_model(self, dataset: str, model: str, ref: int | str) -> dict[str, Any] | None:
        try:
            return self.client.models.version(dataset, model, ref)
        except ApiError as error:
            if error.status == 404:
                return None
            raise

    def _model(self, target: layout.ModelFile, remote_path: str) -> dict[str, Any]:
        record = self._find_model(target.dataset, target.model, target.version or "latest")
        if record is None:
            raise ApiError(404, "model_not_found", f"{remote_path}: no such model version.")
        return record

    @staticmethod
    def _single_file(record: dict[str, Any], remote_path: str, destination: Path) -> Path:
        if record.get("fileCount", 1) != 1:
            raise ApiError(409, "multiple_files", f"{remote_path} is a version of several files; use Client.models.download.")
        return destination

    # --- explanations -----------------------------------------------------------------------
    def _explained_model(self, dataset: str) -> dict[str, Any]:
        name = self.explanation_models.get(dataset)
        models = self.client.models.list(dataset=dataset, name=name, page_size=1)
        model = next(iter(models), None)
        if model is None:
            raise ApiError(404, "model_not_found", f"{dataset} has no model to attach explanations to; upload one first.")
        return model

    def _explanations_with(self, target: layout.ExplanationFile) -> list[dict[str, Any]]:
        found = [
            record
            for record in self.client.explanations.list(dataset=target.dataset)
            if any(f["path"] == target.path for f in record.get("files", []))
        ]
        if not found:
            raise ApiError(404, "explanation_not_found", f"explanations/{target.dataset}/{target.path}: no such explanation.")
        return found  # newest first

    def _download_explanation_file(self, record: dict[str, Any], path: str, destination: Path) -> None:
        from ._deliver import deliver_file

        file = next(f for f in record["files"] if f["path"] == path)
        transport = self.client.transport

        def link() -> str:
            return transport.url(transport.obj("GET", f"/explanations/{record['id']}/files/{file['id']}/download")["url"])

        deliver_file(self.client, file, link, destination)

    # --- listing ----------------------------------------------------------------------------
    def _paths(self, prefix: str) -> Iterator[str]:
        kind, _, rest = prefix.partition("/")
        dataset = rest.split("/", 1)[0] if "/" in rest else None
        exact = kind in ("datasets", "models", "explanations") and "/" in prefix

        def wants(candidate: str) -> bool:
            return candidate == kind if exact else candidate.startswith(kind)

        if wants("datasets"):
            for name in [dataset] if dataset else (d["name"] for d in self.client.datasets.list()):
                try:
                    files = self.client.datasets.get(name)["files"]
                except ApiError as error:
                    if error.code == "dataset_not_found":
                        continue
                    raise
                yield from (f"datasets/{name}/{f['path']}" for f in files)
        if wants("models"):
            for model in self.client.models.list(dataset=dataset) if dataset else self.client.models.list():
                name = model["dataset"]["name"]
                if model.get("fileCount", 1) == 1:
                    yield layout.model_path(name, model["name"], model["version"], model["files"][0]["path"])
                else:
                    yield from (f"models/{name}/{model['name']}_v{model['version']}/{f['path']}" for f in model["files"])
        if wants("explanations"):
            seen: set[str] = set()
            for record in self.client.explanations.list(dataset=dataset) if dataset else self.client.explanations.list():
                for file in record.get("files", []):
                    path = f"explanations/{record['dataset']['name']}/{file['path']}"
                    if path not in seen:
                        seen.add(path)
                        yield path
