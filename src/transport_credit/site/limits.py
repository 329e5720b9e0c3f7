"""Rate limits of the public front doors (site downloads and the public API), one limiter per app and bucket."""

from __future__ import annotations

from fastapi import Request

from transport_credit.portal.ratelimit import RateLimiter
from transport_credit.settings import Settings

# Multiples of the configured per-minute limit: search-as-you-type sends a request per keystroke; report
# generation is expensive.
BUCKETS = {"api": 1.0, "suggest": 2.0, "download": 0.25, "report": 0.1, "apply": 0.05}


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def enforce(request: Request, bucket: str) -> None:
    """Count this request against the client's limit in ``bucket``; raises ``RateLimited`` (429) when over."""
    limiters: dict[str, RateLimiter] | None = getattr(request.app.state, "public_limiters", None)
    if limiters is None:
        settings: Settings = request.app.state.settings
        limiters = {
            name: RateLimiter(limit=max(1, int(settings.public_rate_per_minute * factor)))
            for name, factor in BUCKETS.items()
        }
        request.app.state.public_limiters = limiters
    limiters[bucket].check(client_address(request))
