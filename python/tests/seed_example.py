"""The platform's processing and training steps as written for its boto3 R2StorageClient, with
the import line changed and nothing else. Run in a folder holding data/ and artifacts/."""

# from src.storage.r2_client import R2StorageClient
from xai_artifacts.compat import R2StorageClient

storage = R2StorageClient()

# processing: the raw files and the processed table of each dataset
storage.upload_file("data/raw/train_transaction.csv", "datasets/ieee-cis-fraud/raw/train_transaction.csv")
storage.upload_file("data/raw/train_identity.csv", "datasets/ieee-cis-fraud/raw/train_identity.csv")
storage.upload_file("data/processed/train.parquet", "datasets/ieee-cis-fraud/processed/train.parquet")
storage.upload_file("data/raw/cs-training.csv", "datasets/give-me-some-credit/raw/cs-training.csv")
storage.upload_file("data/raw/german_credit.csv", "datasets/german_credit/raw/german_credit.csv")

# training: save the trained models
storage.upload_file("artifacts/xgboost_v1.pkl", "models/ieee-cis-fraud/xgboost_v1.pkl")
storage.upload_file("artifacts/random_forest_v1.joblib", "models/ieee-cis-fraud/random_forest_v1.joblib")
storage.upload_file("artifacts/xgboost_v2.pkl", "models/ieee-cis-fraud/xgboost_v2.pkl")

# explaining: SHAP values of the dataset's latest model
storage.upload_file("artifacts/shap_values.pkl", "explanations/ieee-cis-fraud/shap_values.pkl")

# list, download, delete
for path in storage.list_files("datasets/ieee-cis-fraud/"):
    print("dataset file", path)
for path in storage.list_files("models/ieee-cis-fraud/"):
    print("model file", path)
storage.download_file("datasets/ieee-cis-fraud/processed/train.parquet", "downloaded/train.parquet")
storage.download_file("models/ieee-cis-fraud/xgboost_v2.pkl", "downloaded/xgboost_v2.pkl")
storage.download_file("explanations/ieee-cis-fraud/shap_values.pkl", "downloaded/shap_values.pkl")
storage.delete_file("datasets/ieee-cis-fraud/raw/train_identity.csv")
print("remaining", storage.list_files("datasets/ieee-cis-fraud/raw/"))
