"""HTTP to the API: the base URL and credential, problem details turned into ApiError, and retries
(connection failures of requests that are safe to repeat, 429 and 502-504 with Retry-After)."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

import requests

from .errors import ApiError

RETRY_STATUSES = frozenset({429, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def backoff(attempt: int, retry_after: str | None = None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: the server's Retry-After when it says, else
    exponential with jitter, at most 30 s."""
    if retry_after:
        try:
            seconds: float = float(retry_after)
            return min(max(seconds, 0.0), 60.0)
        except ValueError:
            pass
    return float(min(30.0, 0.25 * 2.0**attempt) * (0.5 + random.random() / 2))


def problem_of(response: requests.Response) -> ApiError:
    """The API's problem+json as an ApiError; any other error body keeps its status."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        return ApiError(response.status_code, body["code"], str(body.get("detail") or body.get("title") or ""), body)
    text = response.text[:300] if response.text else response.reason
    return ApiError(response.status_code, f"http_{response.status_code}", text or "")


class Transport:
    """One requests.Session for a client; safe to share between the threads of a transfer."""

    def __init__(
        self,
        api_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 5,
        session: requests.Session | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.session = session or requests.Session()
        self.headers: dict[str, str] = {"Accept": "application/json"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"

    def url(self, path_or_url: str) -> str:
        """An absolute URL: the API answers some links relative to itself (the embedded store)."""
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return urljoin(self.api_url + "/", path_or_url.lstrip("/"))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        retry: bool | None = None,
        stream: bool = False,
        authorized: bool = True,
    ) -> requests.Response:
        """Sends one request, retrying what is safe to retry; raises ApiError for any refusal.
        ``retry`` overrides the method's default (POSTs the API documents as repeatable pass True).
        A body that is a stream (``data`` with ``read``) is sent once: it cannot be replayed."""
        repeatable = (method.upper() in SAFE_METHODS if retry is None else retry) and not hasattr(data, "read")
        merged = {**(self.headers if authorized else {}), **(headers or {})}
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        attempt = 0
        while True:
            try:
                response = self.session.request(
                    method,
                    self.url(path),
                    params=query,
                    json=json,
                    data=data,
                    headers=merged,
                    timeout=(10, self.timeout),
                    stream=stream,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                if repeatable and attempt < self.retries:
                    time.sleep(backoff(attempt))
                    attempt += 1
                    continue
                raise ApiError(None, "unreachable", f"{method} {self.url(path)} failed: {error}") from error
            if response.status_code in RETRY_STATUSES and attempt < self.retries and (
                repeatable or (response.status_code == 429 and not hasattr(data, "read"))
            ):
                wait = backoff(attempt, response.headers.get("Retry-After"))
                response.close()
                time.sleep(wait)
                attempt += 1
                continue
            if response.status_code >= 400:
                problem = problem_of(response)
                response.close()
                raise problem
            return response

    def json(self, method: str, path: str, **options: Any) -> Any:
        """The answer's JSON body (None for 204)."""
        response = self.request(method, path, **options)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def obj(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        """The answer's JSON object (every route but the deletes answers one)."""
        answer = self.json(method, path, **options)
        if not isinstance(answer, dict):
            raise ApiError(None, "unexpected_answer", f"{method} {path} answered {type(answer).__name__}, not an object.")
        return answer


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
