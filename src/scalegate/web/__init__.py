"""The web door: REST API under ``/api/v1`` and the dashboard, both over the service layer."""

from scalegate.extras import requires_extra

with requires_extra("web", "the web door (dashboard and API)"):
    from scalegate.web.app import WebSettings, create_app

__all__ = ["WebSettings", "create_app"]
