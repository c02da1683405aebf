"""Dependency order with cycles reported by name (derived vars, input vars, sql models)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from profiles_pipeline.errors import UserError


def layers(
    deps: Mapping[str, set[str]], what: str, where: Callable[[str], str] | None = None
) -> list[list[str]]:
    """Group names into layers: each name's dependencies are all in earlier layers.

    Only dependencies that are keys of `deps` count. Order inside a layer follows `deps`.
    A cycle raises UserError naming it, e.g. `a -> b -> a`."""
    remaining = {n: {d for d in ds if d in deps} for n, ds in deps.items()}
    done: set[str] = set()
    out: list[list[str]] = []
    while remaining:
        ready = [n for n, ds in remaining.items() if ds <= done]
        if not ready:
            cycle = find_cycle(remaining)
            at = f" ({where(cycle[0])})" if where else ""
            raise UserError(f"{what} form a cycle: {' -> '.join(cycle)}{at}; break it so each "
                            "one depends only on ones computed before it")
        out.append(ready)
        done.update(ready)
        for n in ready:
            del remaining[n]
    return out


def order(deps: Mapping[str, set[str]], what: str, where: Callable[[str], str] | None = None) -> list[str]:
    return [n for layer in layers(deps, what, where) for n in layer]


def find_cycle(deps: Mapping[str, set[str]]) -> list[str]:
    """One cycle among `deps` (which must contain one), as a closed path."""
    for start in deps:
        path: list[str] = []
        seen: dict[str, int] = {}
        node = start
        while node not in seen:
            seen[node] = len(path)
            path.append(node)
            nxt = sorted(d for d in deps.get(node, ()) if d in deps)
            if not nxt:
                break
            node = nxt[0]
        else:
            return path[seen[node]:] + [node]
    return sorted(deps)[:1] * 2
