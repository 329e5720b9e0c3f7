"""Per-client rate limiting of the public endpoints (sliding window per client address, in process memory).

One process serves the site (uvicorn worker); with several workers each keeps its own window, so the effective
limit is workers × limit — put a shared limiter in the reverse proxy for a multi-process deployment.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from transport_credit.common.errors import CreditError


class RateLimited(CreditError):
    status = 429
    code = "rate_limited"


@dataclass
class RateLimiter:
    """At most ``limit`` requests per ``window`` seconds per key (client address)."""

    limit: int
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 100_000
    _hits: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, key: str) -> int:
        """Count a request; return the requests left in the window, or raise :class:`RateLimited`."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._evict(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                retry = max(1, int(hits[0] + self.window - now) + 1)
                raise RateLimited(
                    f"访问过于频繁，请 {retry} 秒后再试",
                    code="rate_limited",
                    details={"retry_after": retry, "limit": self.limit, "window_seconds": int(self.window)},
                )
            hits.append(now)
            return self.limit - len(hits)

    def _evict(self, now: float) -> None:
        stale = [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]
        for k in stale:
            del self._hits[k]
        if len(self._hits) >= self.max_keys:  # still full: drop the oldest half
            for k in list(self._hits)[: self.max_keys // 2]:
                del self._hits[k]
