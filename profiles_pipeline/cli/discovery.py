"""What `profiles discover` lists (pb's `pb discover`): the project's entities, features, models
and sources, and the materials (tables and views) a run built, each as rows of plain values so a
table, JSON and CSV show the same thing. Independent of typer and rich."""

from __future__ import annotations

from datetime import datetime

#: The kinds `profiles discover` takes, in pb's order.
KINDS = ("entities", "features", "materials", "models", "sources")


def _rows_of(adapter, built: bool, name: str | None) -> int | None:
    return adapter.row_count(name) if built and name and adapter.table_exists(name) else None


def entities(loaded, adapter, built: bool) -> list[dict]:
    project = loaded.project
    return [{
        "entity": e.name,
        "id_types": ", ".join(e.id_types),
        "main_id": e.main_id_column,
        "id_stitcher": project.stitcher_name(e.name) if project.edge_sources_for(e.name) else "",
        "feature_view": e.feature_view_name,
        "profiles": _rows_of(adapter, built, e.feature_view_name),
    } for e in project.entities]


def features(loaded, adapter, built: bool) -> list[dict]:
    """Every entity var and input var by the var group that declares it; `in_feature_view`: it is
    a column of the entity's feature view (pb's `is_feature`)."""
    out = []
    for group in loaded.project.var_groups:
        for var in group.variables:
            out.append({
                "entity": var.entity,
                "feature": var.name,
                "kind": var.kind,
                "model": group.name,
                "in_feature_view": bool(getattr(var, "is_feature", False)),
                "description": var.description or "",
            })
    return out


def models(loaded, adapter, built: bool) -> list[dict]:
    return [{"model": s.path, "kind": s.kind, "reads": ", ".join("/".join(u) for u in s.upstream),
             "description": s.description} for s in loaded.graph.steps]


def materials(loaded, adapter, built: bool, end_time: datetime | None = None) -> list[dict]:
    """Each relation a model builds, whether it exists now, its kind and rows."""
    from profiles_pipeline.cli.model_listing import model_rows
    from profiles_pipeline.features import default_end_time

    out = []
    for row in model_rows(loaded, adapter, False, end_time or default_end_time()):
        for relation in row.relations:
            kind = adapter.relation_kind(relation) if built else None
            out.append({"model": row.path, "material": relation, "built": kind is not None,
                        "kind": (kind or "").lower(), "rows": adapter.row_count(relation) if kind else None})
    return out


def sources(loaded, adapter, built: bool) -> list[dict]:
    from profiles_pipeline.cli.warehouse_checks import short_relation
    from profiles_pipeline.features.relations import input_relation_sql

    out = []
    for inp in loaded.project.inputs:
        ad = inp.app_defaults
        try:
            rel = adapter.to_sql(input_relation_sql(adapter, loaded.project, inp))
            rows = adapter.fetch_one(f"SELECT COUNT(*) FROM {rel} AS _input", read=adapter.dialect)
        except Exception as e:  # noqa: BLE001 - a missing source is listed with what the warehouse said
            rel, rows = None, f"not readable: {str(e).splitlines()[0]}"
        out.append({
            "source": inp.name,
            "reads": ad.table or ad.view or ad.path or ad.csv or ad.s3 or "",
            "relation": short_relation(rel) if rel else "",
            "occurred_at_col": inp.occurred_at or "",
            "ids": ", ".join(sorted({i.type for i in ad.ids})),
            "rows": rows,
        })
    return out


LISTERS = {"entities": entities, "features": features, "materials": materials, "models": models,
           "sources": sources}
