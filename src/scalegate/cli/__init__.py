"""The command-line door. Import ``scalegate.cli.app.app`` for the Typer application.

Every ``scalegate`` run is a fresh process that pays for what it imports before it does any work, and
pipelines call it on every step. So the CLI loads lazily, at two levels. A command group's module is imported
only when that group is invoked (``scalegate.cli.catalog`` lists where each lives; ``scalegate --help`` is
answered from the catalog alone). Within a group's module, each command imports the services it calls
inside its own function, not at the module's top: ``scalegate policy list --json`` does not load the policy
schema, SQLAlchemy or the table models that ``scalegate policy show`` needs, and a group's ``--help`` loads
none of them. That is the justification of every import made inside a function here; ``bench/cli.py``
measures the start-up it keeps (goal: ``--help`` and ``policy list --json`` within 5x ``python -c pass``).
"""
