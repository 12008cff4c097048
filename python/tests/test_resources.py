"""Every resource method against the real API, checked by what was stored: the bytes (SHA-256 of
what downloads back), versions, aliases and lineage records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import sha256_of

from xai_artifacts import ApiError, Client

CSV = b"age,credit_amount,default\n35,1169,0\n22,5951,1\n41,2096,0\n"


def test_datasets_records_files_profiles_previews(client: Client, name: str, tmp_path: Path) -> None:
    created = client.datasets.create(name, description="German credit", tags=["credit", "tabular"])
    assert created["name"] == name and created["version"] is None
    assert client.datasets.create(name, exist_ok=True)["id"] == created["id"]
    with pytest.raises(ApiError) as refused:
        client.datasets.create(name)
    assert (refused.value.status, refused.value.code) == (409, "dataset_exists")

    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "data" / "raw" / "german_credit.csv").write_bytes(CSV)
    (tmp_path / "data" / "processed.csv").write_bytes(CSV + b"50,100,1\n")
    record = client.datasets.upload(name, tmp_path / "data")  # a folder: one version
    assert record["version"] == 1
    stored = {f["path"]: f["sha256"] for f in record["files"]}
    assert stored == {
        "raw/german_credit.csv": sha256_of(tmp_path / "data" / "raw" / "german_credit.csv"),
        "processed.csv": sha256_of(tmp_path / "data" / "processed.csv"),
    }

    assert client.datasets.update(name, status="processed")["status"] == "processed"
    assert client.datasets.get(name)["status"] == "processed"
    profile = client.datasets.profile(name, "raw/german_credit.csv")
    assert profile["rows"] == 3 and [c["name"] for c in profile["columns"]] == ["age", "credit_amount", "default"]
    preview = client.datasets.preview(name, "raw/german_credit.csv", rows=2)
    assert preview["rows"] == [[35, 1169, 0], [22, 5951, 1]]

    downloaded = client.datasets.download(name, "raw/german_credit.csv", tmp_path / "copy.csv")
    assert downloaded.read_bytes() == CSV
    cached = client.datasets.download(name, "raw/german_credit.csv")
    assert cached.name == "german_credit.csv" and cached.read_bytes() == CSV

    client.datasets.delete_file(name, "processed.csv")
    assert [f["path"] for f in client.datasets.files(name)] == ["raw/german_credit.csv"]
    assert {f["path"] for f in client.datasets.files(name, version=1)} == {"raw/german_credit.csv", "processed.csv"}

    client.datasets.delete(name)
    assert not client.datasets.exists(name)


def test_dataset_listing_pages_through_everything(client: Client, name: str) -> None:
    names = {f"{name}-{i}" for i in range(5)}
    for each in names:
        client.datasets.create(each, tags=[name])
    listed = [d["name"] for d in client.datasets.list(tag=name, page_size=2)]  # three pages
    assert sorted(listed) == sorted(names) and len(listed) == 5


def test_dataset_versions_and_aliases(client: Client, name: str, tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_bytes(CSV)
    client.datasets.upload(name, source, "raw/a.csv")
    source.write_bytes(CSV + b"1,2,3\n")
    client.datasets.upload(name, source, "raw/a.csv", overwrite=True)
    versions = list(client.datasets.versions(name))
    assert [v["version"] for v in versions] == [2, 1]
    assert client.datasets.version(name, 1)["files"][0]["sha256"] == sha256_of_bytes(CSV)

    assert client.datasets.set_alias(name, "training", 1)["version"] == 1
    client.datasets.set_alias(name, "training", 2)
    assert client.datasets.alias(name, "training")["version"] == 2
    history = list(client.datasets.alias_history(name, "training"))
    assert [(h["version"], h["previousVersion"]) for h in history] == [(2, 1), (1, None)]
    assert client.datasets.version(name, "training")["version"] == 2
    client.datasets.delete_alias(name, "training")
    with pytest.raises(ApiError) as gone:
        client.datasets.alias(name, "training")
    assert gone.value.code == "alias_not_found"

    with pytest.raises(ApiError) as in_use:
        client.datasets.delete_version(name, 2)  # the latest
    assert in_use.value.code == "version_in_use"
    client.datasets.delete_version(name, 1)
    assert [v["version"] for v in client.datasets.versions(name)] == [2]


def test_models_files_folders_metrics_aliases_lineage(client: Client, name: str, tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    data.write_bytes(CSV)
    client.datasets.upload(name, data, "processed/train.csv")
    weights = tmp_path / "xgboost.json"
    weights.write_text(json.dumps({"learner": {"gradient_booster": {"name": "gbtree"}}}))
    v1 = client.models.upload(name, "xgboost", weights, metrics={"auc": 0.91}, params={"max_depth": 6})
    v2 = client.models.upload(name, "xgboost", weights, metrics={"auc": 0.95}, dataset_version=1, tags=["best"])
    assert (v1["version"], v2["version"]) == (1, 2)
    assert v2["dataset"]["version"] == 1 and v2["sha256"] == sha256_of(weights)
    assert [m["version"] for m in client.models.list(dataset=name, sort="metrics.auc", order="desc")] == [2, 1]
    assert client.models.latest(name, "xgboost")["id"] == v2["id"]

    client.models.set_alias(name, "xgboost", "production", 1)
    client.models.set_alias(name, "xgboost", "production", 2)
    assert client.models.version(name, "xgboost", "production")["id"] == v2["id"]
    assert client.models.alias(name, "xgboost", "production")["modelId"] == v2["id"]
    assert [h["version"] for h in client.models.alias_history(name, "xgboost", "production")] == [2, 1]
    client.models.delete_alias(name, "xgboost", "production")

    folder = tmp_path / "mlflow"
    (folder / "model").mkdir(parents=True)
    (folder / "requirements.txt").write_text("xgboost==2.1.3\n")
    (folder / "model" / "model.json").write_bytes(weights.read_bytes())
    (folder / "MLmodel").write_text("flavors:\n  xgboost: {data: model/model.json}\n")
    mlflow = client.models.upload(name, "xgboost-mlflow", folder)
    assert mlflow["format"] == "mlflow" and mlflow["fileCount"] == 3
    out = client.models.download(mlflow["id"], tmp_path / "out")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "MLmodel",
        "model/model.json",
        "requirements.txt",
    ]
    assert (out / "model" / "model.json").read_bytes() == weights.read_bytes()

    assert client.models.download(v1, tmp_path / "v1.json").read_bytes() == weights.read_bytes()
    shap = tmp_path / "shap_values.json"
    shap.write_text(json.dumps({"age": 0.3, "credit_amount": 0.2}))
    explanation = client.explanations.upload(v2["id"], "shap", shap, summary={"age": 0.3, "credit_amount": 0.2})
    assert explanation["sha256"] == sha256_of(shap) and explanation["summary"] == {"age": 0.3, "credit_amount": 0.2}
    assert [e["id"] for e in client.explanations.list(model=v2["id"])] == [explanation["id"]]
    assert client.explanations.download(explanation["id"], tmp_path / "e.json").read_bytes() == shap.read_bytes()

    lineage = client.models.lineage(v2["id"])
    assert lineage["dataset"]["version"] == 1 and [e["id"] for e in lineage["explanations"]] == [explanation["id"]]
    assert {m["id"] for m in client.datasets.lineage(name, 1)["models"]} == {v1["id"], v2["id"], mlflow["id"]}

    with pytest.raises(ApiError) as in_use:
        client.models.delete(v2["id"])
    assert in_use.value.code == "model_in_use"
    client.explanations.delete(explanation["id"])
    client.models.delete(v2["id"])
    assert [m["version"] for m in client.models.list(dataset=name, name="xgboost")] == [1]


def test_refusals_are_api_errors_with_problem_details(client: Client) -> None:
    with pytest.raises(ApiError) as missing:
        client.datasets.get("no-such-dataset-anywhere")
    assert (missing.value.status, missing.value.code) == (404, "dataset_not_found")
    assert missing.value.detail and missing.value.problem["code"] == "dataset_not_found"
    with pytest.raises(ApiError) as invalid:
        client.datasets.create("Not A Name")
    assert (invalid.value.status, invalid.value.code) == (400, "invalid_name")
    unreachable = Client("http://127.0.0.1:9", retries=0)
    with pytest.raises(ApiError) as down:
        unreachable.datasets.get("x")
    assert (down.value.status, down.value.code) == (None, "unreachable")


def sha256_of_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_importances_from_a_shap_matrix_and_across_versions(client: Client, name: str, tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_bytes(CSV)
    client.datasets.upload(name, data, "raw/d.csv")
    weights = tmp_path / "m.json"
    weights.write_text("{}")
    v1 = client.models.upload(name, "xgb", weights)
    v2 = client.models.upload(name, "xgb", weights)
    shap = tmp_path / "shap_values.csv"
    shap.write_text("age,credit_amount,base_value\n0.5,-2,0.1\n-0.5,2,0.1\n")
    e1 = client.explanations.upload(v1["id"], "shap", shap)
    client.explanations.upload(v2["id"], "shap", weights, path="summary.json", summary={"age": 3, "credit_amount": 1})
    bars = client.explanations.importances(e1["id"])
    assert bars["source"] == "matrix"
    assert [(i["feature"], i["importance"], i["rank"]) for i in bars["items"]] == [("credit_amount", 2, 1), ("age", 0.5, 2)]
    trend = client.models.importances(name, "xgb")
    assert [[(i["feature"], i["rank"], i["rankChange"]) for i in v["items"]] for v in trend["versions"]] == [
        [("credit_amount", 1, None), ("age", 2, None)],
        [("age", 1, 1), ("credit_amount", 2, -1)],
    ]
    assert [e["id"] for e in client.explanations.list(dataset=name, feature="credit_amount", max_rank=1)] == [e1["id"]]


def test_a_npy_matrix_named_by_features(client: Client, name: str, tmp_path: Path) -> None:
    import struct

    data = tmp_path / "d.csv"
    data.write_bytes(CSV)
    client.datasets.upload(name, data, "raw/d.csv")
    weights = tmp_path / "m.json"
    weights.write_text("{}")
    model = client.models.upload(name, "xgb", weights)
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }"
    header += " " * (64 - ((10 + len(header) + 1) % 64)) + "\n"
    matrix = tmp_path / "shap_values.npy"
    matrix.write_bytes(
        b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + struct.pack("<4d", 1, -3, -1, 3)
    )
    explanation = client.explanations.upload(model["id"], "shap", matrix, features=["income", "debt"])
    ranked = client.explanations.importances(explanation["id"])
    assert [(i["feature"], i["importance"]) for i in ranked["items"]] == [("debt", 3), ("income", 1)]


def test_one_rows_explanation_beside_its_data(client: Client, name: str, tmp_path: Path) -> None:
    data = tmp_path / "train.csv"
    data.write_text("age,credit_amount,purpose\n31,1200,car\n45,800,\"tv, radio\"\n")
    client.datasets.upload(name, data, "train.csv")
    weights = tmp_path / "m.json"
    weights.write_text("{}")
    model = client.models.upload(name, "xgb", weights)
    shap = tmp_path / "shap_values.csv"
    shap.write_text("age,credit_amount,purpose,base_value,prediction\n0.5,-2,0.25,0.1,0.7\n-0.5,2,-0.25,0.1,0.2\n")
    explanation = client.explanations.upload(model["id"], "shap", shap, dataset_file="train.csv")
    assert explanation["datasetFile"] == "train.csv"
    row = client.explanations.row(explanation["id"], 1, with_data=True)
    assert row["values"] == {"age": -0.5, "credit_amount": 2, "purpose": -0.25}
    assert (row["baseValue"], row["prediction"]) == (0.1, 0.2)
    assert row["data"] == {"age": 45, "credit_amount": 800, "purpose": "tv, radio"}
    page = client.explanations.rows(explanation["id"], limit=10)
    assert page["total"] == 2 and [r["index"] for r in page["rows"]] == [0, 1]
    assert "data" not in page["rows"][0]
    with pytest.raises(ApiError) as past:
        client.explanations.row(explanation["id"], 2)
    assert (past.value.status, past.value.code) == (404, "row_not_found")
