"""Small sqlglot building blocks shared by the query builders."""

from __future__ import annotations

from sqlglot import exp

from profiles_pipeline.features.definitions import Window
from profiles_pipeline.features.snippets import WINDOW_FUNCTIONS, inside_window, is_aggregate

#: Aggregates that return NULL over zero rows (so a `where` needs no presence guard).
_COUNTING = (exp.Count, exp.CountIf, exp.ApproxDistinct)
#: Window functions that take a frame (ranking functions do not).
_FRAMED = (exp.FirstValue, exp.LastValue, exp.NthValue)
FULL_FRAME = exp.WindowSpec(
    kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="UNBOUNDED", end_side="FOLLOWING"
)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table)


def alias(e: exp.Expression, name: str) -> exp.Alias:
    return exp.alias_(e, name)


def qualify(tree: exp.Expression, table: str) -> exp.Expression:
    """Prefix unqualified columns with `table` (so joins cannot make them ambiguous)."""

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table:
            return exp.column(node.name, table=table, quoted=node.this.quoted)
        return node

    return tree.transform(fix, copy=True)


def add_filter(tree: exp.Expression, cond: exp.Expression) -> exp.Expression:
    """Restrict every aggregate in `tree` to rows where `cond` holds (`agg FILTER (WHERE cond)`)."""
    tree = tree.copy()
    targets = [
        n for n in tree.walk()
        if not inside_window(n)
        and ((isinstance(n, exp.Filter) and is_aggregate(n.this))
             or (is_aggregate(n) and not isinstance(n.parent, exp.Filter)))
    ]
    for node in targets:
        if isinstance(node, exp.Filter):
            node.set("expression", exp.Where(this=exp.and_(node.expression.this, cond.copy())))
            continue
        new = exp.Filter(this=node.copy(), expression=exp.Where(this=cond.copy()))
        if node is tree:
            return new
        node.replace(new)
    return tree


def needs_presence_guard(tree: exp.Expression) -> bool:
    """False when the expression is one aggregate that is already NULL over zero rows."""
    root = tree.this if isinstance(tree, exp.Filter) else tree
    return not (is_aggregate(root) and not isinstance(root, _COUNTING))


def guarded(expr: exp.Expression, cond: exp.Expression) -> exp.Expression:
    """NULL (then default_value) for entities with no row matching `cond`, as a filtered scan gives."""
    present = exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=cond.copy()))
    return exp.Case(ifs=[exp.If(this=present > 0, true=expr)])


def windowed(tree: exp.Expression, window: Window, partition: list[exp.Expression], full_frame: bool) -> exp.Expression:
    """Put an OVER clause on every aggregate / window function of `tree` that lacks one."""
    tree = tree.copy()
    targets = [
        n for n in tree.walk()
        if (isinstance(n, WINDOW_FUNCTIONS) or is_aggregate(n))
        and not inside_window(n) and not _has_aggregate_ancestor(n)
    ]
    for node in targets:
        inner = node.parent if isinstance(node.parent, exp.IgnoreNulls | exp.RespectNulls) else node
        spec = window.frame.copy() if window.frame is not None else None
        if spec is None and full_frame and (is_aggregate(node) or isinstance(node, _FRAMED)):
            spec = FULL_FRAME.copy()
        over = exp.Window(
            this=inner.copy(),
            partition_by=[p.copy() for p in partition],
            order=exp.Order(expressions=[o.copy() for o in window.order_by]) if window.order_by else None,
            spec=spec if spec is not None and (is_aggregate(node) or isinstance(node, _FRAMED)) else None,
            over="OVER",
        )
        if inner is tree:
            return over
        inner.replace(over)
    return tree


def _has_aggregate_ancestor(node: exp.Expression) -> bool:
    parent = node.parent
    while parent is not None:
        if is_aggregate(parent) or isinstance(parent, WINDOW_FUNCTIONS):
            return True
        parent = parent.parent
    return False
