"""The documents and reviews a policy obliges: Risk Reports, off-cycle analyses, external reviews, the
safety roadmap and competitor-contingent determinations, with their deadlines on the compliance calendar.

Each workflow reads the active policy's obligations through ``terms`` (so the numbers, roles and clauses are
the policy's), writes its rows through ``Workspace.writing`` with an audit entry naming them, and signs
through ``governance.decisions.sign`` (approvals, reviewer selection and competitor determinations are
decisions, signed with each signer's own key).

Its modules are imported by name (``governance.documents.risk_reports``, ``.reviews``, ``.roadmap``,
``.offcycle``, ``.competitors``, ``.deadlines``, ``.standing``, ``.reading``, ``.terms``); this package
imports none of them, so the gate pays only for the ones it reads.
"""

__all__: list[str] = []
