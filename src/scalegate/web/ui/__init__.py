"""The dashboard: server-rendered pages (Jinja2 + htmx), one module per page (listed in ``pages``)."""
