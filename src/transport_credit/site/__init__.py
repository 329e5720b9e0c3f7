"""The public website (信用交通·<省> 门户), mounted at ``/``: server-rendered Chinese pages over the disclosure,
search and portal services. Every asset is served from ``site/static`` (no external CDN).
"""

from transport_credit.site.routes import router

__all__ = ["router"]
