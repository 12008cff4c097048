"""Model versions: a file or a folder (MLflow, sharded weights) as one immutable version of
(dataset, name), listed and sorted by metric, found by number, ``latest`` or alias."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ._deliver import download_version
from ._paging import pages, q
from ._uploads import file_parts

if TYPE_CHECKING:
    from .client import Client

MODEL_EXTENSIONS = frozenset({"pkl", "pickle", "joblib", "h5", "keras", "onnx", "json", "ubj", "pt", "pth", "safetensors"})


def is_model_file(path: str) -> bool:
    """What the API accepts as the file that says what a version is (sent first)."""
    name = PurePosixPath(path).name
    return name == "MLmodel" or name.rsplit(".", 1)[-1].lower() in MODEL_EXTENSIONS


class Models:
    def __init__(self, client: Client) -> None:
        self._client = client
        self._t = client.transport

    def upload(
        self,
        dataset: str,
        name: str,
        local: str | os.PathLike[str],
        *,
        path: str | None = None,
        framework: str | None = None,
        metrics: Mapping[str, float] | None = None,
        params: Mapping[str, Any] | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        dataset_version: int | str | None = None,
        progress: bool | None = None,
    ) -> dict[str, Any]:
        """The next version of (dataset, name) from a file or a folder's files (their paths
        inside it, under ``path`` when given), pinned to ``dataset_version`` (default: latest)."""
        parts = file_parts(local, path, first=is_model_file)
        fields: dict[str, Any] = {
            "dataset": dataset,
            "name": name,
            "datasetVersion": dataset_version,
            "framework": framework,
            "metrics": dict(metrics) if metrics is not None else None,
            "params": dict(params) if params is not None else None,
            "description": description,
            "tags": list(tags) if tags is not None else None,
        }
        return self._client.uploader.version("model", "/models", fields, parts, progress=progress)

    def list(
        self,
        *,
        dataset: str | None = None,
        name: str | None = None,
        dataset_version: int | str | None = None,
        framework: str | None = None,
        tag: str | None = None,
        sort: str | None = None,
        order: str | None = None,
        page_size: int = 100,
    ) -> Iterator[dict[str, Any]]:
        """Every version matching; ``sort="metrics.auc"`` sorts by a metric (``order`` asc/desc)."""
        query = {
            "dataset": dataset,
            "name": name,
            "datasetVersion": dataset_version,
            "framework": framework,
            "tag": tag,
            "sort": sort,
            "order": order,
        }
        return pages(self._t, "/models", query, page_size=page_size)

    def get(self, model_id: str) -> dict[str, Any]:
        return self._t.obj("GET", f"/models/{q(model_id)}")

    def version(self, dataset: str, name: str, ref: int | str = "latest") -> dict[str, Any]:
        """A version by number, ``latest`` or an alias such as ``production``."""
        return self._t.obj("GET", f"/datasets/{q(dataset)}/models/{q(name)}/{q(ref)}")

    def latest(self, dataset: str, name: str) -> dict[str, Any]:
        return self.version(dataset, name, "latest")

    def update(self, model_id: str, **fields: Any) -> dict[str, Any]:
        """PATCH: ``description``, ``tags``, ``metrics``, ``params``."""
        return self._t.obj("PATCH", f"/models/{q(model_id)}", json=fields)

    def delete(self, model_id: str, *, cascade: bool = False) -> None:
        self._t.json("DELETE", f"/models/{q(model_id)}", params={"cascade": cascade or None})

    def download(
        self, model: str | Mapping[str, Any], local_path: str | os.PathLike[str] | None = None, *, progress: bool | None = None
    ) -> Path:
        """A single-file version: its file (cached, or at ``local_path``); several files: a folder."""
        record = dict(model) if isinstance(model, Mapping) else self.get(model)
        if "files" not in record:
            record = self.get(record["id"])
        return download_version(self._client, "models", record, local_path, progress=progress)

    def lineage(self, model_id: str) -> dict[str, Any]:
        """The dataset version it was trained on (with its files) and its explanations."""
        return self._t.obj("GET", f"/models/{q(model_id)}/lineage")

    def importances(self, dataset: str, name: str, *, method: str = "shap", top: int = 20) -> dict[str, Any]:
        """Feature importances across the versions of the model, with each feature's rank change."""
        return self._t.obj("GET", f"/datasets/{q(dataset)}/models/{q(name)}/importances", params={"method": method, "top": top})

    def set_alias(self, dataset: str, name: str, alias: str, version: int) -> dict[str, Any]:
        return self._t.obj("PUT", f"/datasets/{q(dataset)}/models/{q(name)}/aliases/{q(alias)}", json={"version": version})

    def alias(self, dataset: str, name: str, alias: str) -> dict[str, Any]:
        return self._t.obj("GET", f"/datasets/{q(dataset)}/models/{q(name)}/aliases/{q(alias)}")

    def delete_alias(self, dataset: str, name: str, alias: str) -> None:
        self._t.json("DELETE", f"/datasets/{q(dataset)}/models/{q(name)}/aliases/{q(alias)}")

    def alias_history(self, dataset: str, name: str, alias: str, *, at: str | None = None) -> Iterator[dict[str, Any]]:
        return pages(self._t, f"/datasets/{q(dataset)}/models/{q(name)}/aliases/{q(alias)}/history", {"at": at})
