"""`profiles validate access` (pb's `pb validate access`): can this connection's role do what a
run does? Read every input, and create, replace and drop a table and a view where the outputs go.

Each check is tried for real (a probe table is created and dropped), so a privilege the catalog
claims but the engine refuses is found too. What fails comes with the statement that would grant
it, where the engine has grants (Snowflake); on DuckDB access is the file's permissions."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass

from sqlglot import exp, select

from profiles_pipeline.errors import ProfilesError


@dataclass(frozen=True)
class AccessCheck:
    what: str  # "read input" | "open" | "create table" | "create view" | "drop"
    target: str
    ok: bool
    detail: str = ""
    grant: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _probe_write(adapter, where: str, grant: str | None) -> list[AccessCheck]:
    """Create a table and a view over it, replace the table, drop both: what every run does."""
    probe = f"profiles__access_probe_{uuid.uuid4().hex[:8]}"
    view = f"{probe}_v"
    checks = []
    steps = (
        ("create table", lambda: adapter.replace_table(probe, select(exp.alias_(exp.Literal.number(1), "ok")))),
        ("create view", lambda: adapter.create_view(view, select(exp.Star()).from_(adapter.table_expr(probe)))),
        ("replace table", lambda: adapter.replace_table(probe, select(exp.alias_(exp.Literal.number(2), "ok")))),
        ("drop", lambda: (adapter.drop(view), adapter.drop(probe))),
    )
    for what, step in steps:
        try:
            step()
            checks.append(AccessCheck(what, where, True))
        except Exception as e:  # noqa: BLE001 - every refusal is a finding, whatever the driver raises
            checks.append(AccessCheck(what, where, False, str(e).splitlines()[0], grant))
            break
    for name in (view, probe):  # leave nothing behind, even after a failed step
        try:
            adapter.drop(name)
        except Exception:  # noqa: BLE001, S110 - the failure is already reported above
            pass
    return checks


def check_access(loaded) -> list[AccessCheck]:
    """Every access check of `loaded`'s connection, in the order a run needs them."""
    from profiles_pipeline.cli.reading import open_project_adapter, writing
    from profiles_pipeline.cli.warehouse_checks import check_warehouse, short_relation

    read = check_warehouse(loaded.project, loaded.connection)
    checks = [AccessCheck("open", read.location, not any(p.code == "connection" for p in read.problems),
                          "; ".join(p.message for p in read.problems if p.code == "connection"))]
    if not checks[0].ok:
        return checks
    for inp in loaded.project.inputs:
        found = read.inputs.get(inp.name)
        ok = bool(found and found.relation)
        where = inp.loc_of("app_defaults")  # where warehouse_checks puts an input it cannot read
        problem = next((p for p in read.problems if p.code == "input_not_found" and p.location == where), None)
        checks.append(AccessCheck("read input", f"{inp.name}: {short_relation(found.relation) if ok else '?'}", ok,
                                  "" if ok else (problem.message if problem else "not readable"),
                                  None if ok else _grant_for_reading(loaded, inp)))
    try:
        with writing(loaded, "profiles validate access"):
            adapter = open_project_adapter(loaded)
            try:
                checks += _probe_write(adapter, read.location, loaded.connection.config.grant_to_write())
            finally:
                adapter.close()
    except ProfilesError as e:
        checks.append(AccessCheck("create table", read.location, False, str(e).splitlines()[0]))
    return checks


def _grant_for_reading(loaded, inp) -> str | None:
    """The grant that would let the role read `inp`'s table (files and folders have none)."""
    table = inp.app_defaults.table or inp.app_defaults.view
    return loaded.connection.config.grant_to_read(table) if table else None
