"""Export a policy's safeguard standards as a CISO Assistant library, with mappings to ISO 42001 and NIST.

CISO Assistant (intuitem) imports YAML libraries whose ``objects.framework.requirement_nodes`` form a tree.
Here each safeguard level (e.g. the ASL-3 Deployment Standard) is a non-assessable node at depth 1 and each
criterion an assessable node at depth 2 whose ``ref_id`` is the criterion id, so an assessment in the GRC tool
refers to the same ids scalegate uses. Levels also become implementation groups; with cumulative standards a
criterion belongs to its own level's group and to every stronger level of the same kind, so selecting "ASL-3
Security" in the tool shows every criterion that standard requires.

Mapping hints (``ciso_mappings.py``) are emitted as separate mapping libraries, one per target framework, in
the ``requirement_mapping_sets`` format; a policy with no hints for a target gets no mapping file for it.
"""

from __future__ import annotations

import re
from typing import NotRequired, TypedDict

from scalegate.policy import Policy, content_hash
from scalegate.policy.standards import SafeguardLevel
from scalegate.reports.ciso_mappings import TARGETS, Target, TargetId, hints_for

__all__ = [
    "PACKAGER",
    "CisoLibrary",
    "CisoMappingLibrary",
    "ciso_library",
    "ciso_mapping_library",
    "export_ciso_assistant",
]

PACKAGER = "scalegate"


class RequirementNode(TypedDict):
    """A node of the framework's tree: a level (depth 1) or one of its criteria (depth 2, assessable)."""

    urn: str
    assessable: bool
    depth: int
    parent_urn: NotRequired[str]
    ref_id: str
    name: str
    description: str
    annotation: str
    implementation_groups: NotRequired[list[str]]


class ImplementationGroup(TypedDict):
    """A safeguard level as an implementation group of the framework."""

    ref_id: str
    name: str
    description: str


class Framework(TypedDict):
    """The framework object of a library: its groups and requirement nodes."""

    urn: str
    ref_id: str
    name: str
    description: str
    implementation_groups_definition: list[ImplementationGroup]
    requirement_nodes: list[RequirementNode]


class FrameworkObjects(TypedDict):
    """What the framework library holds."""

    framework: Framework


class RequirementMapping(TypedDict):
    """A hint linking one criterion to one requirement of a target framework."""

    source_requirement_urn: str
    target_requirement_urn: str
    relationship: str
    rationale: str
    annotation: str


class RequirementMappingSet(TypedDict):
    """Every hint from the policy's criteria to one target framework."""

    urn: str
    ref_id: str
    name: str
    description: str
    source_framework_urn: str
    target_framework_urn: str
    requirement_mappings: list[RequirementMapping]


class MappingObjects(TypedDict):
    """What a mapping library holds."""

    requirement_mapping_sets: list[RequirementMappingSet]


class _LibraryHeader(TypedDict):
    """What every CISO Assistant library starts with: its identity, version and provenance."""

    urn: str
    locale: str
    ref_id: str
    name: str
    description: str
    copyright: str
    version: int
    publication_date: str
    provider: str
    packager: str


class CisoLibrary(_LibraryHeader):
    """A CISO Assistant framework library: the policy's safeguard standards."""

    objects: FrameworkObjects


class CisoMappingLibrary(_LibraryHeader):
    """A CISO Assistant mapping library: hints from the policy's criteria to one target framework."""

    dependencies: list[str]
    objects: MappingObjects


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", value.lower()).strip("-")


def _level_key(level: SafeguardLevel) -> str:
    return f"{level.kind}-{_slug(level.id)}"


def _urn(kind: str, *parts: str) -> str:
    return f"urn:{PACKAGER}:risk:{kind}:" + ":".join(parts)


def ciso_library(policy: Policy) -> CisoLibrary:
    """The framework library of ``policy``'s safeguard standards, as a YAML-ready document."""
    pid = _slug(policy.id)
    fw = policy.framework
    levels = sorted(policy.safeguards.levels, key=lambda lv: (lv.kind, lv.rank))
    node_base = _urn("req_node", pid)
    nodes: list[RequirementNode] = []
    for level in levels:
        level_urn = f"{node_base}:{_level_key(level)}"
        nodes.append(_level_node(level, level_urn))
        groups = _groups_of(policy, level)
        for criterion in level.criteria:
            nodes.append(
                {
                    "urn": f"{node_base}:{_slug(criterion.id)}",
                    "assessable": True,
                    "depth": 2,
                    "parent_urn": level_urn,
                    "ref_id": criterion.id,
                    "name": criterion.title,
                    "description": criterion.text,
                    "annotation": f"Source: {criterion.source.cite()}"
                    + (f' ("{criterion.source.quote}")' if criterion.source.quote else ""),
                    "implementation_groups": groups,
                }
            )
    description = (
        f"The safeguard standards of {fw.name} {fw.version} ({fw.publisher}), as encoded in scalegate policy "
        f"{policy.id} (content hash {content_hash(policy)[:16]}). Each level is a section; each criterion an "
        "assessable requirement whose ref_id is the scalegate criterion id."
    )
    return {
        "urn": _urn("library", pid),
        "locale": "en",
        "ref_id": pid,
        "name": f"{policy.title}: safeguard standards",
        "description": description,
        "copyright": f"Text of the safeguard standards: (c) {fw.publisher}"
        + (f", published at {fw.url}" if fw.url else "")
        + ".",
        "version": 1,
        "publication_date": fw.effective_date.isoformat(),
        "provider": fw.publisher,
        "packager": PACKAGER,
        "objects": {
            "framework": {
                "urn": _urn("framework", pid),
                "ref_id": pid,
                "name": f"{fw.name} {fw.version}: safeguard standards",
                "description": description,
                "implementation_groups_definition": [
                    {"ref_id": _level_key(lv), "name": lv.title, "description": lv.summary or lv.title}
                    for lv in levels
                ],
                "requirement_nodes": nodes,
            }
        },
    }


def _level_node(level: SafeguardLevel, urn: str) -> RequirementNode:
    notes = [f"Source: {level.source.cite()}"]
    if not level.criteria_published:
        notes.append("The framework has not published this level's criteria; it cannot be met yet.")
    if level.note:
        notes.append(level.note)
    return {
        "urn": urn,
        "assessable": False,
        "depth": 1,
        "ref_id": f"{level.id} {level.kind}",
        "name": level.title,
        "description": level.summary or level.title,
        "annotation": "\n".join(notes),
    }


def _groups_of(policy: Policy, level: SafeguardLevel) -> list[str]:
    """Implementation groups a criterion of ``level`` is in: its level, and stronger ones if cumulative."""
    if not policy.safeguards.cumulative:
        return [_level_key(level)]
    return [_level_key(lv) for lv in policy.levels_of(level.kind) if lv.rank >= level.rank]


def ciso_mapping_library(policy: Policy, target_id: TargetId) -> CisoMappingLibrary | None:
    """A mapping library from ``policy``'s criteria to one target framework; None when no hint applies."""
    criteria = {c.id for lv in policy.safeguards.levels for c in lv.criteria}
    hints = hints_for(criteria, target_id)
    if not hints:
        return None
    target: Target = TARGETS[target_id]
    pid = _slug(policy.id)
    ref_id = f"mapping-{pid}-to-{target.id}"
    node_base = _urn("req_node", pid)
    description = (
        f"Hints linking the safeguard criteria of {policy.id} to {target.name}. Every link is `intersect`: "
        "the "
        "activities overlap, but coverage must be judged by the reviewer. The annotation says why each holds."
    )
    mappings: list[RequirementMapping] = [
        {
            "source_requirement_urn": f"{node_base}:{_slug(h.criterion)}",
            "target_requirement_urn": target.node_urn(h.ref_id),
            "relationship": "intersect",
            "rationale": "semantic",
            "annotation": f"{h.ref_id} ({target.nodes[h.ref_id]}): {h.why}.",
        }
        for h in hints
    ]
    return {
        "urn": _urn("library", ref_id),
        "locale": "en",
        "ref_id": ref_id,
        "name": f"{policy.id} -> {target.name} (mapping hints)",
        "description": description,
        "copyright": "Mapping hints by scalegate; no text of the target standard is reproduced but titles.",
        "version": 1,
        "publication_date": policy.framework.effective_date.isoformat(),
        "provider": PACKAGER,
        "packager": PACKAGER,
        "dependencies": [_urn("library", pid), target.library_urn],
        "objects": {
            "requirement_mapping_sets": [
                {
                    "urn": _urn("req_mapping_set", ref_id),
                    "ref_id": ref_id,
                    "name": f"{policy.id} -> {target.id}",
                    "description": description,
                    "source_framework_urn": _urn("framework", pid),
                    "target_framework_urn": target.framework_urn,
                    "requirement_mappings": mappings,
                }
            ]
        },
    }


def export_ciso_assistant(policy: Policy) -> dict[str, str]:
    """File name -> YAML text: the framework library and one mapping library per target with hints."""
    import yaml

    def dump(doc: CisoLibrary | CisoMappingLibrary) -> str:
        return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110))

    pid = _slug(policy.id)
    files = {f"{pid}.yaml": dump(ciso_library(policy))}
    for target_id in TARGETS:
        mapping = ciso_mapping_library(policy, target_id)
        if mapping is not None:
            files[f"mapping-{pid}-to-{target_id}.yaml"] = dump(mapping)
    return files
