"""The REST API: one router per domain, mounted under ``/api/v1`` (the list is ``routers.API_MODULES``)."""
