"""Entity vars and input vars of one entity → resolved definitions (snippets parsed)."""

from __future__ import annotations

from sqlglot import exp

from profiles_pipeline.errors import Location, UserError
from profiles_pipeline.features.definitions import EntityVarDef, InputVarDef, Window
from profiles_pipeline.features.render import SnippetRenderer
from profiles_pipeline.features.snippets import has_aggregate, has_window_function, literal
from profiles_pipeline.spec.project import Project
from profiles_pipeline.spec.var_models import EntityVar, InputVar, VarGroup
from profiles_pipeline.spec.var_models import Window as SpecWindow


def var_groups_of(project: Project, entity: str) -> list[tuple[str | None, VarGroup]]:
    """(owning cohort or None, group) for every var_group of the entity, in declaration order."""
    out: list[tuple[str | None, VarGroup]] = []
    for group in project.var_groups:
        if group.entity_cohort:
            cohort = group.entity_cohort.strip("/").split("/")[-1]
            if project.cohort_entity(cohort) == entity:
                out.append((cohort, group))
        elif (group.entity_key or _only_entity(project)) == entity:
            out.append((None, group))
    return out


def _only_entity(project: Project) -> str | None:
    return project.entities[0].name if len(project.entities) == 1 else None


def main_id_aliases(entity: str, main_id: str) -> set[str]:
    """Names pb projects use for the main id in window partitions."""
    return {"rudder_id", "main_id", f"{entity}_main_id", main_id.lower()}


def resolve_window(
    r: SnippetRenderer, spec: SpecWindow | None, var: EntityVar | InputVar, main_id: str, aliases: set[str]
) -> Window | None:
    if spec is None:
        return None
    where = var.loc_of("window")
    window = Window()
    for item in spec.partition_by:
        tree = r.render(item, where, f"window.partition_by of {var.name}").tree
        if isinstance(tree, exp.Column) and tree.name.lower() in aliases:
            tree = exp.column(main_id)
        window.partition_by.append(tree)
    for item in spec.order_by:
        query = r.render(f"SELECT 1 ORDER BY {item}", where, f"window.order_by of {var.name}", statement=True)
        window.order_by.extend(query.tree.find(exp.Order).expressions)
    if spec.frame_clause:
        text = f"SELECT row_number() OVER (ORDER BY 1 {spec.frame_clause})"
        query = r.render(text, where, f"window.frame_clause of {var.name}", statement=True)
        window.frame = query.tree.find(exp.WindowSpec)
    return window


def resolve_input_var(
    r: SnippetRenderer, var: InputVar, source: str, main_id: str, aliases: set[str], names: set[str]
) -> InputVarDef:
    sel = r.render(var.select, var.loc_of("select"), f"select of input_var {var.name}")
    where = r.render(var.where, var.loc_of("where"), f"where of {var.name}") if var.where else None
    deps = {n for _, n in sel.input_vars} | {c.name for c in sel.tree.find_all(exp.Column)}
    if where is not None:
        deps |= {n for _, n in where.input_vars} | {c.name for c in where.tree.find_all(exp.Column)}
    return InputVarDef(
        name=var.name,
        source=source,
        select=sel.tree,
        where=where.tree if where else None,
        default=_default(r, var),
        window=resolve_window(r, var.window, var, main_id, aliases),
        deps=(deps & names) - {var.name},
        location=var.location,
        text=var.select,
    )


def resolve_entity_var(
    r: SnippetRenderer, var: EntityVar, entity: str, source: str | None, cohort: str | None,
    main_id: str, aliases: set[str], grain: str | None = None,
) -> EntityVarDef:
    def joined(ent: str, name: str) -> str:
        return joined_var_column(name) if source is not None and ent in (entity, None) else name

    sel = r.render(var.select, var.loc_of("select"), f"select of entity_var {var.name}", var_column=joined)
    where = (r.render(var.where, var.loc_of("where"), f"where of {var.name}", var_column=joined)
             if var.where else None)
    refs = set(sel.vars) | (set(where.vars) if where else set())
    deps = {name for ent, name in refs if ent in (entity, None)}
    window = resolve_window(r, var.window, var, main_id, aliases)
    if source is not None:
        _check_aggregate(var, sel.tree, window)
    elif where is not None:
        raise UserError(f"{var.loc_of('where')}: entity_var {var.name} has `where` but no `from`; "
                        "a derived var has no rows to filter (move the condition into `select`)")
    deps |= set(var.dependencies)
    return EntityVarDef(
        name=var.name,
        select=sel.tree,
        source=source,
        where=where.tree if where else None,
        default=_default(r, var),
        window=window,
        is_feature=var.is_feature,
        deps=deps - {var.name} if source is None else deps,
        cohort=cohort,
        location=var.location,
        text=var.select,
        where_text=var.where,
        grain=grain,
        data_type=_data_type(r, var),
    )


def _data_type(r: SnippetRenderer, var: EntityVar) -> exp.DataType | None:
    """`column_data_type`, rendered (`{{warehouse.DataType("float")}}`) and read in the project's dialect."""
    if not var.column_data_type:
        return None
    where = var.loc_of("column_data_type")
    cast = r.render(f"CAST(NULL AS {var.column_data_type})", where, f"column_data_type of {var.name}").tree
    found = cast.find(exp.DataType)
    if found is None:
        raise UserError(f"{where}: entity_var {var.name}: column_data_type {var.column_data_type!r} is not a SQL type")
    return found


def joined_var_column(name: str) -> str:
    """The column an entity var read by a var with `from` has on that var's rows: pb joins the
    entity's earlier vars onto the rows by main id; the prefix keeps them apart from the input's
    own columns of the same name."""
    return f"__ev_{name}"


def _check_aggregate(var: EntityVar, tree: exp.Expression, window: Window | None) -> None:
    where = var.loc_of("select")
    if window is None and has_window_function(tree):
        raise UserError(
            f"{where}: entity_var {var.name} uses a window function but has no `window:` "
            "(add `window: {order_by: [...]}`)"
        )
    if window is None and not has_aggregate(tree):
        raise UserError(
            f"{where}: entity_var {var.name} selects `{var.select.strip()}` from {var.from_}, which is "
            "not an aggregate; an entity_var with `from` needs one value per entity "
            "(e.g. max(...), count(...), any_value(...)), or use an input_var for a per-row value"
        )


def _default(r: SnippetRenderer, var: EntityVar | InputVar) -> exp.Expression | None:
    if var.default_value is None:
        return None
    where: Location = var.loc_of("default_value")
    return literal(var.default_value, r.read, r.write, where, f"default_value of {var.name}")
