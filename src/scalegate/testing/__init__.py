"""Test doubles and demo material: not used by the engine.

Nothing under ``scalegate.testing`` is imported by the gate, the store, the services or the doors at run time.
It holds what lets scalegate be exercised offline and end to end:

- ``inspect_provider``: an offline Inspect model provider (``scalegate/acc-P``) that answers with a set
  accuracy, registered with Inspect through its own ``inspect_ai`` entry point (``scalegate_testing``);
- ``standin_tasks``: Inspect tasks shaped like the public evals the built-in policies bind to, with synthetic
  data, so real Inspect runs them without downloads or Docker;
- ``demo`` and ``demo_data``: the demo scenario (one model family walked through the RSP to a gate verdict)
  and the family it seeds; ``scalegate demo`` (``scalegate.cli.demo``) prints it and serves the dashboard.

They measure nothing about any real model. Tests, benchmarks and the demo use them; an RSP deployment does
not. This package stays import-free so that naming it costs nothing.
"""
