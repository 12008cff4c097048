"""The platform's storage layout (the paths its R2StorageClient code uses) and what each path is
in the API:

    datasets/{dataset}/{path}               a file of a dataset (raw/…, processed/train.parquet)
    models/{dataset}/{model}_v{N}.{ext}     version N of model {model} of {dataset}
    models/{dataset}/{model}.{ext}          the latest version (a new version when uploaded)
    explanations/{dataset}/{path}           an explanation, of the dataset's latest model by default

Dataset names become API names as they are when they are valid (lowercase letters, digits,
hyphens) and else lowercased with ``_``, ``.`` and spaces turned into hyphens
(``German_Credit`` → ``german-credit``); model names are lowercased."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ApiError

LAYOUT = (
    "datasets/{dataset}/{path}, models/{dataset}/{model}_v{N}.{ext} (or {model}.{ext}), "
    "explanations/{dataset}/{path}"
)
_DATASET = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_MODEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_VERSIONED = re.compile(r"^(?P<model>.+?)_v(?P<version>\d{1,9})\.(?P<ext>[A-Za-z0-9]+)$")
_PLAIN = re.compile(r"^(?P<model>[^/]+?)\.(?P<ext>[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class DatasetFile:
    dataset: str
    path: str


@dataclass(frozen=True)
class ModelFile:
    dataset: str
    model: str
    version: int | None
    ext: str


@dataclass(frozen=True)
class ExplanationFile:
    dataset: str
    path: str


Remote = DatasetFile | ModelFile | ExplanationFile


def unmappable(remote_path: str, why: str) -> ApiError:
    return ApiError(None, "unmappable_path", f"{remote_path!r}: {why}. Accepted layout: {LAYOUT}.")


def dataset_name(raw: str, remote_path: str = "") -> str:
    if _DATASET.match(raw) and not re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", raw):
        return raw
    name = re.sub(r"[_.\s]+", "-", raw.strip().lower()).strip("-")
    if not _DATASET.match(name):
        raise unmappable(remote_path or raw, f"{raw!r} cannot be a dataset name (letters, digits and hyphens)")
    return name


def model_name(raw: str, remote_path: str) -> str:
    name = raw.lower()
    if not _MODEL.match(name):
        raise unmappable(remote_path, f"{raw!r} cannot be a model name (letters, digits, _ and -)")
    return name


def parse(remote_path: str) -> Remote:
    """What a remote path is; ApiError ``unmappable_path`` naming the layout when it is none."""
    path = remote_path.strip().lstrip("/")
    segments = path.split("/")
    if len(segments) < 3 or any(s in ("", ".", "..") for s in segments):
        raise unmappable(remote_path, "it names no file inside a dataset")
    kind, dataset, rest = segments[0], dataset_name(segments[1], remote_path), "/".join(segments[2:])
    if kind == "datasets":
        return DatasetFile(dataset, rest)
    if kind == "explanations":
        return ExplanationFile(dataset, rest)
    if kind == "models":
        if len(segments) != 3:
            raise unmappable(remote_path, "a model file sits directly in models/{dataset}/")
        versioned = _VERSIONED.match(rest)
        if versioned:
            return ModelFile(dataset, model_name(versioned["model"], remote_path), int(versioned["version"]), versioned["ext"].lower())
        plain = _PLAIN.match(rest)
        if plain:
            return ModelFile(dataset, model_name(plain["model"], remote_path), None, plain["ext"].lower())
        raise unmappable(remote_path, "a model file is {model}_v{N}.{ext} or {model}.{ext}")
    raise unmappable(remote_path, f"it starts with {kind!r}, not datasets/, models/ or explanations/")


def model_path(dataset: str, model: str, version: int, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"models/{dataset}/{model}_v{version}.{ext}"
