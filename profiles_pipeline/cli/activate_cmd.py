"""`profiles activate` (sync the activations now, or show what a sync would send) and
`profiles show activations`."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from profiles_pipeline.cli.options import JsonFlag, ProjectDir
from profiles_pipeline.cli.output import console, handles_errors, print_json
from profiles_pipeline.errors import UserError


def _chosen(loaded, select: list[str] | None):
    from profiles_pipeline.activations import activation_plans

    plans = activation_plans(loaded.project)
    if not plans:
        raise UserError("this project has no activations (model_type: activation); see the README's Activations section")
    if not select:
        return plans
    names = {p.name for p in plans}
    unknown = [s for s in select if s.split("/")[-1] not in names]
    if unknown:
        raise UserError(f"--select {unknown[0]!r} names no activation; activations: {', '.join(sorted(names))}")
    wanted = {s.split("/")[-1] for s in select}
    return [p for p in plans if p.name in wanted]


@handles_errors
def activate(
    project_dir: ProjectDir = Path("."),
    select: Annotated[list[str] | None, typer.Option("--select", "-s", help="Only these activations. Repeatable.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what a sync would send (counts and a few "
                                          "rows); send nothing.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Sync the activations now, as of what the last run published: each sends what changed since
    what its destination last accepted. `profiles run` does the same after each run.

    Example: profiles activate -p config --dry-run
    """
    from profiles_pipeline.activations import diff_counts, sync
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.reading import open_project_adapter, writing
    from profiles_pipeline.pipeline.snapshots import published_at

    loaded = project_loading.load(project_dir)
    plans = _chosen(loaded, select)
    results = []
    with writing(loaded, "profiles activate"):
        adapter = open_project_adapter(loaded)
        try:
            at = published_at(adapter, loaded.project)
            if at is None:
                raise UserError("nothing is published yet: run `profiles run` first")
            for plan in plans:
                if not adapter.table_exists(plan.source_relation):
                    raise UserError(f"activation {plan.name}: its source {plan.source_relation} is not built; "
                                    "run `profiles run` first")
                if dry_run:
                    results.append(diff_counts(adapter, plan))
                else:
                    results.append(sync(adapter, plan, end_time=at, run_id=f"activate-{uuid.uuid4()}"))
        finally:
            adapter.close()
    if as_json:
        print_json([{**r.as_metadata(), "sample": r.sample} for r in results])
        return
    for r in results:
        what = "would send" if dry_run else "sent"
        console.print(f"[bold]{escape(r.activation)}[/] ({r.mode}): {what} {r.added:,} added, {r.changed:,} changed, "
                      f"{r.removed:,} removed" + ("" if dry_run else f", {r.rejected:,} rejected in {r.batches} batch(es)")
                      + (f"; {r.skipped_without_identifier:,} source row(s) without the identifier" if
                         r.skipped_without_identifier else "") + (f"; {r.skipped}" if r.skipped else ""),
                      highlight=False)
        for row in r.sample:
            console.print("  " + escape(", ".join(f"{k}={v}" for k, v in row.items())), highlight=False)


@handles_errors
def show_activations(project_dir: ProjectDir = Path("."), as_json: JsonFlag = False) -> None:
    """The activations: source, key, destination, mode, and what their destinations hold.

    Example: profiles show activations -p config
    """
    from profiles_pipeline.activations import activation_plans
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.reading import reading_adapter

    loaded = project_loading.load(project_dir)
    rows = []
    with reading_adapter(loaded) as adapter:
        for p in activation_plans(loaded.project):
            built = adapter.table_exists(p.state_table)
            synced = adapter.row_count(p.state_table) if built else 0
            rejected = adapter.row_count(p.rejected_table) if built else 0
            last = adapter.fetch_one(f"SELECT MAX(end_time) FROM {p.meta_table}") if built else None
            d = p.destination
            rows.append({"activation": p.name, "source": p.source_relation, "key": p.id_type or p.main_id_column,
                         "destination": f"{d.format} files in {d.path}" if d.type == "file" else "webhook",
                         "mode": p.mode, "synced_rows": synced, "rejected_rows": rejected,
                         "last_sync_as_of": str(last) if last else None})
    if as_json:
        print_json(rows)
        return
    table = Table(*(rows[0].keys() if rows else ["activation"]))
    for r in rows:
        table.add_row(*(str(v) if v is not None else "–" for v in r.values()))
    console.print(table)


@handles_errors
def serve(
    project_dir: ProjectDir = Path("."),
    redis_url: Annotated[str | None, typer.Option("--redis-url", envvar="PROFILES_REDIS_URL", help="The Redis the "
                         "activations write (default: the project's redis activation's url).")] = None,
    token_env: Annotated[str, typer.Option("--token-env", help="Environment variable holding the bearer token "
                         "clients must send.")] = "PROFILES_API_TOKEN",
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Serve profiles by any id (the Activation API), from the Redis store the activations keep:
    GET /v1/entities/{entity}/{id_type}/{value}; OpenAPI docs at /docs.

    Example: PROFILES_API_TOKEN=secret profiles serve -p config --redis-url redis://127.0.0.1:6379/0
    """
    import os

    import redis
    import uvicorn

    from profiles_pipeline.activations import activation_plans
    from profiles_pipeline.activations.api import EntityIds, build_app
    from profiles_pipeline.cli import project_loading

    loaded = project_loading.load(project_dir)
    stores = [p for p in activation_plans(loaded.project) if p.destination.type == "redis"]
    if redis_url is None:
        if not stores:
            raise UserError("no activation of this project writes to Redis; add one (destination type: redis) or "
                            "pass --redis-url")
        d = stores[0].destination
        redis_url = d.url or os.environ.get(d.url_env or "")
        if not redis_url:
            raise UserError(f"environment variable {d.url_env} (the Redis URL) is not set; or pass --redis-url")
    token = os.environ.get(token_env)
    if not token:
        raise UserError(f"environment variable {token_env} (the API's bearer token) is not set")
    prefix = stores[0].destination.key_prefix if stores else "profiles"
    entities = {e.name: EntityIds(tuple(e.id_types), e.main_id_column) for e in loaded.project.entities}
    app = build_app(redis.Redis.from_url(redis_url), entities, token, prefix)
    console.print(f"Activation API on http://{host}:{port} (docs: /docs), reading {redis_url}", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning")
