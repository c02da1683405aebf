"""One JSON POST with the retries every HTTP destination needs.

429 and 503 wait for `Retry-After` (seconds or an HTTP date) or, for Braze, `X-RateLimit-Reset`
(epoch seconds); other 5xx, timeouts and refused connections back off exponentially with full
jitter; any other answer is returned to the destination to read. After `max_attempts` the batch
fails the sync. Standard library only: one POST per batch needs no client library.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

from profiles_pipeline.errors import ProfilesError

#: Backoff: base * 2^attempt, capped; the wait is drawn uniformly below it (full jitter).
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_CAP_SECONDS = 20.0


def retry_after_seconds(value: str | None, reset_epoch: str | None = None) -> float | None:
    """How long to wait: `Retry-After` (an integer, or an HTTP date), else a reset epoch."""
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            pass
    if reset_epoch and reset_epoch.strip().isdigit():
        return max(0.0, float(reset_epoch) - time.time())
    return None


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    attempts: int
    waited: float

    def json(self) -> dict:
        try:
            doc = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return doc if isinstance(doc, dict) else {}

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")[:500]


class JsonPoster:
    def __init__(self, name: str, url: str, headers: dict[str, str], *, timeout: float, max_attempts: int,
                 rate_limit: float | None, sleep=time.sleep, rng: random.Random | None = None):
        self.name, self.url, self.headers = name, url, {"Content-Type": "application/json",
                                                         "User-Agent": "profiles-pipeline", **headers}
        self.timeout, self.max_attempts = timeout, max_attempts
        self.min_interval = 1.0 / rate_limit if rate_limit else 0.0
        self.last_request = 0.0
        self.sleep = sleep
        self.rng = rng or random.Random()

    def _pace(self) -> None:
        wait = self.last_request + self.min_interval - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self.last_request = time.monotonic()

    def post(self, body: bytes, extra_headers: dict[str, str] | None = None) -> Answer:
        """The first answer that is not worth retrying (2xx, or a 4xx other than 429)."""
        headers = {**self.headers, **(extra_headers or {})}
        waited, last_error = 0.0, ""
        for attempt in range(1, self.max_attempts + 1):
            self._pace()
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            retry_in: float | None = None
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return Answer(response.status, response.read(), attempt, waited)
            except urllib.error.HTTPError as e:
                answer = Answer(e.code, e.read(), attempt, waited)
                last_error = f"HTTP {e.code}: {answer.text()}"
                if e.code in (429, 503):
                    retry_in = retry_after_seconds(e.headers.get("Retry-After"), e.headers.get("X-RateLimit-Reset"))
                elif e.code < 500:
                    return answer
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
                last_error = f"{type(e).__name__}: {getattr(e, 'reason', e)}"
            if attempt == self.max_attempts:
                break
            if retry_in is None:
                retry_in = self.rng.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** attempt))
            self.sleep(retry_in)
            waited += retry_in
        raise ProfilesError(f"activation {self.name}: {self.url} did not accept a batch after {self.max_attempts} "
                            f"tries (last: {last_error}); the rows accepted before it stay synced, the rest are "
                            "sent on the next sync")
