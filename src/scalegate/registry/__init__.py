"""The registry: models, runs, checkpoints, effective compute and the assessments the policy calls for.

Public entry points (import them from their modules; this package stays light to import):

- ``scalegate.registry.service``: models, runs, checkpoints (``register_checkpoint``, ``resolve_checkpoint``,
  ``family_checkpoints``), post-training enhancements.
- ``scalegate.registry.scaling``: the scaling-law fit L(C) = E + A·C^(-alpha) and effective compute intervals.
- ``scalegate.registry.fits``: storing a family's fit and re-deriving its checkpoints' effective compute.
- ``scalegate.registry.assessments_due``: trigger evaluation, assessment records, deadlines, overdue findings and
  calendar items.
- ``scalegate.registry.importer``: bulk import of a training run's metrics from CSV or JSON.
"""

__all__: list[str] = []
