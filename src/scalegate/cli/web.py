"""``scalegate serve``: run the REST API and the dashboard with uvicorn."""

from __future__ import annotations

import typer

from scalegate.cli._context import state
from scalegate.cli._output import console, guarded


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port (0 picks a free one)."),
    log_level: str = typer.Option(
        "info", "--log-level", help="uvicorn log level: critical, error, warning, info, debug."
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Worker processes serving one socket (they share only the store)."
    ),
) -> None:
    """Serve the REST API (/api/v1) and the dashboard (/) for the workspace until interrupted."""
    with guarded():  # also turns a missing `web` extra into one line naming it
        from scalegate.web import create_app
        from scalegate.web.server import serve_app, serve_workers

        app = create_app(state(ctx).db)  # in this process too: a bad store fails here, in one line
    workspace = app.state.workspace
    processes = f" ({workers} worker processes)" if workers > 1 else ""
    console().print(f"scalegate dashboard for {workspace.safe_url} on http://{host}:{port}/{processes}")
    if workers == 1:
        serve_app(app, host=host, port=port, log_level=log_level)
        return
    url = workspace.url
    workspace.close()
    serve_workers(url, host=host, port=port, workers=workers, log_level=log_level)
