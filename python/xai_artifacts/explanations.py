"""Explanations: SHAP values, LIME results, plots, of one model version and the dataset version
it explains."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._deliver import download_version
from ._paging import pages, q
from ._uploads import file_parts

if TYPE_CHECKING:
    from .client import Client


class Explanations:
    def __init__(self, client: Client) -> None:
        self._client = client
        self._t = client.transport

    def upload(
        self,
        model_id: str,
        method: str,
        local: str | os.PathLike[str],
        *,
        path: str | None = None,
        summary: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        features: Sequence[str] | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        dataset_version: int | str | None = None,
        dataset_file: str | None = None,
        progress: bool | None = None,
    ) -> dict[str, Any]:
        """An explanation of a model version from a file or a folder's files; ``summary``
        (feature → number) is what the frontend charts without the file. A SHAP matrix (CSV,
        TSV, Parquet, .npy) gets importances computed as it uploads; ``features`` names a .npy
        matrix's columns (default: the dataset version's columns); ``dataset_file`` is the
        dataset version's file whose rows it explains, row for row (default: the one file with
        as many rows), read beside each row by ``row(..., with_data=True)``."""
        parts = file_parts(local, path)
        fields: dict[str, Any] = {
            "model": model_id,
            "method": method,
            "datasetVersion": dataset_version,
            "datasetFile": dataset_file,
            "summary": dict(summary) if summary is not None else None,
            "params": dict(params) if params is not None else None,
            "features": list(features) if features is not None else None,
            "description": description,
            "tags": list(tags) if tags is not None else None,
        }
        return self._client.uploader.version("explanation", "/explanations", fields, parts, progress=progress)

    def list(
        self,
        *,
        model: str | None = None,
        dataset: str | None = None,
        dataset_version: int | str | None = None,
        method: str | None = None,
        tag: str | None = None,
        feature: str | None = None,
        max_rank: int | None = None,
        page_size: int = 100,
    ) -> Iterator[dict[str, Any]]:
        """``feature`` (with ``max_rank``): only those in which that feature ranks among the top N."""
        query = {
            "model": model,
            "dataset": dataset,
            "datasetVersion": dataset_version,
            "method": method,
            "tag": tag,
            "feature": feature,
            "maxRank": max_rank,
        }
        return pages(self._t, "/explanations", query, page_size=page_size)

    def get(self, explanation_id: str) -> dict[str, Any]:
        return self._t.obj("GET", f"/explanations/{q(explanation_id)}")

    def update(self, explanation_id: str, **fields: Any) -> dict[str, Any]:
        return self._t.obj("PATCH", f"/explanations/{q(explanation_id)}", json=fields)

    def importances(self, explanation_id: str, *, top: int = 20) -> dict[str, Any]:
        """Its feature importances, most important first (from its SHAP matrix or summary):
        ``{"source", "reason", "items": [{"feature", "importance", "rank", "mean", "min", "max"}], …}``."""
        return self._t.obj("GET", f"/explanations/{q(explanation_id)}/importances", params={"top": top})

    def row(self, explanation_id: str, index: int, *, with_data: bool = False) -> dict[str, Any]:
        """One row's SHAP values without downloading the file: ``{"index", "values": {feature:
        value}, "baseValue", "prediction", "data": {column: value} (with_data), "bytesRead", …}``."""
        params = {"withData": "true"} if with_data else None
        return self._t.obj("GET", f"/explanations/{q(explanation_id)}/rows/{int(index)}", params=params)

    def rows(
        self, explanation_id: str, *, offset: int = 0, limit: int = 100, with_data: bool = False
    ) -> dict[str, Any]:
        """A page of rows (``limit`` at most 500): ``{"total", "offset", "limit", "rows": [...]}``."""
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if with_data:
            params["withData"] = "true"
        return self._t.obj("GET", f"/explanations/{q(explanation_id)}/rows", params=params)

    def delete(self, explanation_id: str) -> None:
        self._t.json("DELETE", f"/explanations/{q(explanation_id)}")

    def download(
        self,
        explanation: str | Mapping[str, Any],
        local_path: str | os.PathLike[str] | None = None,
        *,
        progress: bool | None = None,
    ) -> Path:
        record = dict(explanation) if isinstance(explanation, Mapping) else self.get(explanation)
        if "files" not in record:
            record = self.get(record["id"])
        return download_version(self._client, "explanations", record, local_path, progress=progress)
