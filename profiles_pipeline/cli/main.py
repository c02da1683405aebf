"""Entry point of the `profiles` console script. Commands live in one module each and import
heavy libraries inside their bodies, so `profiles --help` starts quickly."""

from __future__ import annotations

import typer

from profiles_pipeline.cli import (
    activate_cmd,
    audit_cmd,
    cleanup_cmd,
    compile_cmd,
    discover_cmd,
    init_cmd,
    migrate_cmd,
    query_cmd,
    run_cmd,
    sample_data_cmd,
    schema_cmd,
    show_cmd,
    ui_cmd,
    validate_cmd,
)

app = typer.Typer(
    name="profiles",
    help="Warehouse-native customer 360: identity stitching, features and cohorts from a "
    "RudderStack Profiles project.\n\nExample: profiles validate -p config",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

def _version_text() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"profiles_pipeline {version('profiles_pipeline')}"
    except PackageNotFoundError:
        return "profiles_pipeline (not installed)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(_version_text())
        raise typer.Exit()


@app.callback()
def _main(show_version: bool = typer.Option(False, "--version", "-v", is_eager=True, callback=_print_version,
                                            help="Print the version and exit (pb's --version).")) -> None:
    """Options before the command."""


@app.command("version")
def version_cmd() -> None:
    """Print the version (pb's `pb version`).

    Example: profiles version
    """
    typer.echo(_version_text())


app.command("init")(init_cmd.init)
app.command("validate")(validate_cmd.validate)
app.command("schema")(schema_cmd.schema)
app.command("run")(run_cmd.run)
app.command("activate")(activate_cmd.activate)
app.command("serve")(activate_cmd.serve)
app.command("compile")(compile_cmd.compile_project)
app.command("query")(query_cmd.query)
app.command("cleanup")(cleanup_cmd.cleanup)
app.command("ui")(ui_cmd.ui)
app.add_typer(sample_data_cmd.app, name="sample-data")
app.add_typer(show_cmd.app, name="show")
app.add_typer(discover_cmd.app, name="discover")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(migrate_cmd.app, name="migrate")


if __name__ == "__main__":
    app()
