"""Python client of the XAI artifact API.

    from xai_artifacts import Client
    client = Client()  # XAI_API_URL, XAI_API_KEY
    client.datasets.upload("german-credit", "german_credit.csv", "raw/german_credit.csv")
    folder = client.snapshot_download("german-credit", version=3)
"""

from .cache import Cache, CacheInfo
from .client import Client
from .errors import ApiError

__all__ = ["ApiError", "Cache", "CacheInfo", "Client", "snapshot_download"]
__version__ = "0.1.0"


def snapshot_download(dataset: str, version: int | str = "latest", **options: object) -> object:
    """``Client().snapshot_download(…)`` with the environment's API and cache."""
    return Client().snapshot_download(dataset, version, **options)  # type: ignore[arg-type]
