"""R2StorageClient from xai_artifacts.compat: the seed's own calls run unchanged but for their
import, and each path lands where the layout says, with its bytes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import HERE, PYTHON, child_env, sha256_of, write_pattern

from xai_artifacts import ApiError, Client
from xai_artifacts.compat import R2StorageClient


def seed_tree(root: Path) -> dict[str, Path]:
    files = {
        "data/raw/train_transaction.csv": b"TransactionID,isFraud,TransactionAmt\n2987000,0,68.5\n2987001,0,29.0\n",
        "data/raw/train_identity.csv": b"TransactionID,id_01\n2987004,0.0\n",
        "data/raw/cs-training.csv": b",SeriousDlqin2yrs,RevolvingUtilizationOfUnsecuredLines\n1,1,0.766\n",
        "data/raw/german_credit.csv": b"age,credit_amount,default\n35,1169,0\n",
        "artifacts/xgboost_v1.pkl": b"\x80\x04pickled-xgboost-1",
        "artifacts/random_forest_v1.joblib": b"joblib-random-forest",
        "artifacts/xgboost_v2.pkl": b"\x80\x04pickled-xgboost-2",
        "artifacts/shap_values.pkl": b"\x80\x04shap-values",
    }
    out = {}
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out[relative] = path
    out["data/processed/train.parquet"] = write_pattern(root / "data/processed/train.parquet", 3000, seed=9)
    return out


def test_the_seed_example_runs_with_one_changed_import(api_url: str, tmp_path: Path) -> None:
    local = seed_tree(tmp_path)
    run = subprocess.run(
        [PYTHON, str(HERE / "seed_example.py")], cwd=tmp_path, env=child_env(api_url), capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        "dataset file datasets/ieee-cis-fraud/processed/train.parquet",
        "dataset file datasets/ieee-cis-fraud/raw/train_identity.csv",
        "dataset file datasets/ieee-cis-fraud/raw/train_transaction.csv",
        "model file models/ieee-cis-fraud/random_forest_v1.joblib",
        "model file models/ieee-cis-fraud/xgboost_v1.pkl",
        "model file models/ieee-cis-fraud/xgboost_v2.pkl",
        "remaining ['datasets/ieee-cis-fraud/raw/train_transaction.csv']",
    ]
    for downloaded, source in [
        ("train.parquet", "data/processed/train.parquet"),
        ("xgboost_v2.pkl", "artifacts/xgboost_v2.pkl"),
        ("shap_values.pkl", "artifacts/shap_values.pkl"),
    ]:
        assert sha256_of(tmp_path / "downloaded" / downloaded) == sha256_of(local[source])

    client = Client(api_url, cache_dir=tmp_path / "cache")
    xgb = client.models.version("ieee-cis-fraud", "xgboost", 2)
    assert xgb["sha256"] == sha256_of(local["artifacts/xgboost_v2.pkl"]) and xgb["safeToLoad"] is False
    assert xgb["dataset"]["version"] == 3, "trained on the dataset as it stood (three uploads)"
    explanation = next(iter(client.explanations.list(dataset="ieee-cis-fraud")))
    assert explanation["model"]["id"] == xgb["id"] and explanation["method"] == "shap"
    assert client.datasets.file("german-credit", "raw/german_credit.csv")["sha256"] == sha256_of(local["data/raw/german_credit.csv"])
    assert [f["path"] for f in client.datasets.files("give-me-some-credit")] == ["raw/cs-training.csv"]
    # the deleted file is gone from the latest version only
    assert [f["path"] for f in client.datasets.files("ieee-cis-fraud", version=3)].count("raw/train_identity.csv") == 1


def test_model_paths_name_immutable_versions(api_url: str, name: str, tmp_path: Path) -> None:
    storage = R2StorageClient(api_url, client=Client(api_url, cache_dir=tmp_path / "cache"))
    model = tmp_path / "m.pkl"
    model.write_bytes(b"one")
    assert storage.upload_file(model, f"models/{name}/xgboost_v1.pkl") is True
    assert storage.upload_file(model, f"models/{name}/xgboost_v1.pkl") is True  # same bytes: nothing new
    model.write_bytes(b"two")
    with pytest.raises(ApiError) as exists:
        storage.upload_file(model, f"models/{name}/xgboost_v1.pkl")
    assert exists.value.code == "version_exists"
    with pytest.raises(ApiError) as gap:
        storage.upload_file(model, f"models/{name}/xgboost_v3.pkl")
    assert gap.value.code == "version_gap" and "next version of xgboost is 2" in gap.value.detail
    storage.upload_file(model, f"models/{name}/xgboost.pkl")  # no suffix: the next version
    assert storage.list_files(f"models/{name}/") == [f"models/{name}/xgboost_v1.pkl", f"models/{name}/xgboost_v2.pkl"]
    storage.download_file(f"models/{name}/xgboost.pkl", tmp_path / "latest.pkl")
    assert (tmp_path / "latest.pkl").read_bytes() == b"two"
    storage.delete_file(f"models/{name}/xgboost_v2.pkl")
    assert storage.list_files(f"models/{name}/") == [f"models/{name}/xgboost_v1.pkl"]


@pytest.mark.parametrize(
    "path",
    ["checkpoints/a.pkl", "models/x/Not A Model!.pkl", "datasets/only-a-name", "models/x/sub/y_v1.pkl", "datasets/../x/a.csv"],
)
def test_paths_outside_the_layout_are_refused_by_name(api_url: str, path: str, tmp_path: Path) -> None:
    storage = R2StorageClient(api_url)
    local = tmp_path / "f.csv"
    local.write_bytes(b"a\n1\n")
    with pytest.raises(ApiError) as refused:
        storage.upload_file(local, path)
    assert refused.value.code == "unmappable_path" and "datasets/{dataset}/{path}" in refused.value.detail
