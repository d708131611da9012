"""The registry: models, runs, checkpoints, effective compute and the assessments the policy calls for.

Public entry points (import them from their modules; this package stays light to import):

- ``scalegate.registry.lookup``: finding rows (``resolve_checkpoint``, ``family_checkpoints``, ``get_model``).
- ``scalegate.registry.service``: registering models, runs, checkpoints (``register_checkpoint``) and
  post-training enhancements.
- ``scalegate.registry.scaling``: the scaling-law fit L(C) = E + A·C^(-alpha) and effective compute intervals.
- ``scalegate.registry.fits``: storing a family's fit and re-deriving its checkpoints' effective compute.
- ``scalegate.registry.triggers``: evaluating the policy's assessment triggers for a checkpoint.
- ``scalegate.registry.assessments_due``: the assessment records the triggers open, their deadlines, overdue
  findings and calendar items.
- ``scalegate.registry.importer``: bulk import of a training run's metrics from CSV or JSON.
"""

__all__: list[str] = []
