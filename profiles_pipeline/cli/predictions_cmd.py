"""`profiles show predictions`: each propensity model, its latest trained model and its scores."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from profiles_pipeline.cli.options import JsonFlag, ProjectDir
from profiles_pipeline.cli.output import console, handles_errors, print_json
from profiles_pipeline.errors import UserError


@handles_errors
def show_predictions(project_dir: ProjectDir = Path("."), as_json: JsonFlag = False) -> None:
    """The propensity models: label, window, the model that scores now (its holdout quality and
    when it expires), how many were scored, and the report.

    Example: profiles show predictions -p config
    """
    from profiles_pipeline.cli import project_loading
    from profiles_pipeline.cli.reading import reading_adapter
    from profiles_pipeline.predictions import prediction_plans
    from profiles_pipeline.predictions.training import latest_model

    loaded = project_loading.load(project_dir)
    plans = prediction_plans(loaded.project)
    if not plans:
        raise UserError("this project has no propensity models (model_type: propensity)")
    rows = []
    with reading_adapter(loaded) as adapter:
        for p in plans:
            record = latest_model(adapter, p)
            scored = adapter.row_count(p.scores_table) if adapter.table_exists(p.scores_table) else 0
            m = record.metrics if record else {}
            rows.append({"model": p.name, "predicts": f"{p.label_var} in {p.window.days} day(s)", "task": p.task,
                         "model_id": record.model_id if record else None,
                         "algorithm": record.algorithm if record else None,
                         "holdout": f"{m['quality_name'].upper()} {m['quality']:.3f}" if record else None,
                         "valid_until": str(record.valid_until) if record else None, "scored": scored,
                         "report": str(p.folder / record.model_id / "report.html") if record else None})
    if as_json:
        print_json(rows)
        return
    for r in rows:  # one block per model: the values are too long for columns side by side
        table = Table(show_header=False, box=None, padding=(0, 2))
        table.add_column("key", no_wrap=True)
        table.add_column("value", overflow="fold")
        for key, value in r.items():
            table.add_row(f"[bold]{key}[/]", str(value) if value is not None else "–")
        console.print(table)
        console.print()
