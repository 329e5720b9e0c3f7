"""The officials' console (政务端): server-rendered pages under ``/console`` over the domain services."""

from transport_credit.web.routes import router

__all__ = ["router"]
