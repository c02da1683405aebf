"""The stitcher's plain input: what to read, how to filter ids and which guards to apply.

Built by the spec glue (YAML → plan) with every SQL snippet already rendered and transpiled
to the canonical dialect, so this package never sees templates or user dialects.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Literal

from profiles_pipeline.errors import UserError

#: An id linked to more distinct ids than this is a hub unless its id type says otherwise.
#: A person rarely has more than a few dozen devices/cookies; shared or bogus ids have thousands.
DEFAULT_HUB_THRESHOLD = 100

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Id type names that usually mean one value per person: an account key, not a device or cookie.
_UNIQUE_LOOKING = re.compile(
    r"^(user|customer|account|member|client|player|patient|subscriber|crm|external|shopify_customer|"
    r"stripe_customer|salesforce|hubspot_contact)_?id$", re.IGNORECASE)


@dataclass(frozen=True)
class SqlList:
    """Values listed by a query: `column` of `relation_sql` (canonical SQL)."""

    relation_sql: str
    column: str


@dataclass(frozen=True)
class IdFilter:
    """One pb filter. Exactly one of value / regex / sql is set. Regexes must match the whole value."""

    type: Literal["include", "exclude"]
    value: str | None = None
    regex: str | None = None
    sql: SqlList | None = None

    def __post_init__(self) -> None:
        if self.type not in ("include", "exclude"):
            raise UserError(f"id filter type must be 'include' or 'exclude', got {self.type!r}")
        if sum(x is not None for x in (self.value, self.regex, self.sql)) != 1:
            raise UserError(f"id filter {self!r} needs exactly one of value, regex or sql")


@dataclass(frozen=True)
class IdTypeRules:
    """Filters and guards of one id type. `maximum_edges` maps another id type to a limit."""

    name: str
    filters: tuple[IdFilter, ...] = ()
    maximum_edges: dict[str, int] = field(default_factory=dict)
    hub_threshold: int | None = None
    #: values dropped as junk (lower case, compared trimmed and case-insensitively)
    junk_values: tuple[str, ...] = ()
    #: drop values holding a control character
    drop_control_characters: bool = False
    #: the most values of this type one cluster may hold (1: unique); None: no limit
    cluster_limit: int | None = None
    #: links of a lower number are decided first when cluster rules conflict at one instant;
    #: None: after those with a number (unique types first, then limited ones, then the rest)
    priority: int | None = None


@dataclass(frozen=True)
class IdSelect:
    """One id of a row: a canonical SQL expression over the relation's columns, and its type."""

    select_sql: str
    type: str


@dataclass(frozen=True)
class EdgeSource:
    """An input of the stitcher: its rows, their event time column, their ids and `where`."""

    name: str
    relation_sql: str
    occurred_at_col: str
    ids: tuple[IdSelect, ...]
    where_sql: str | None = None
    #: Where the rows come from, stable across runs (the relation's SQL may list only the files
    #: of the run's days, or leave out a bad file); empty: the SQL itself.
    relation_key: str = ""
    #: A source without an event time (pb reads it whole each run): its rows count as seen at the
    #: start of this day, the first partition, and are read again whenever that day is extracted.
    untimed_day: date | None = None
    #: Rows that may change for past days (a sql_template model: pb evaluates it over all history
    #: each run): read whole again every run, and the days whose edges changed extracted again.
    reread: bool = False

    def fingerprint_fields(self) -> dict:
        fields = asdict(self)
        if self.relation_key:
            fields.pop("relation_sql")
        return fields


@dataclass(frozen=True)
class StitcherPlan:
    """Everything `extract_edges` and `stitch` need. `name` prefixes every table they write."""

    name: str
    entity: str
    edge_sources: tuple[EdgeSource, ...]
    id_types: dict[str, IdTypeRules] = field(default_factory=dict)
    hub_threshold_default: int = DEFAULT_HUB_THRESHOLD
    main_id_column: str | None = None
    main_id_type: str | None = None
    #: pb's begin_time: rows before it are not read (None: every row).
    since: datetime | None = None

    def __post_init__(self) -> None:
        for what, value in (("stitcher name", self.name), ("entity name", self.entity)):
            if not _IDENT.match(value):
                raise UserError(f"{what} {value!r} must be a SQL identifier ([A-Za-z_][A-Za-z0-9_]*)")
        if not self.main_id_column:
            object.__setattr__(self, "main_id_column", f"{self.entity}_main_id")
        for src in self.edge_sources:
            if not src.ids:
                raise UserError(f"edge source {src.name!r} of stitcher {self.name!r} lists no ids")
        for rules in self.id_types.values():
            for other, limit in rules.maximum_edges.items():
                if int(limit) < 1:
                    raise UserError(
                        f"id type {rules.name!r}: maximum_edges for {other!r} is {limit}; use a positive integer"
                    )

    def rules(self, id_type: str) -> IdTypeRules:
        return self.id_types.get(id_type) or IdTypeRules(name=id_type)

    def hub_threshold(self, id_type: str) -> int:
        own = self.rules(id_type).hub_threshold
        return int(own) if own is not None else int(self.hub_threshold_default)

    def cluster_limits(self) -> dict[str, int]:
        """{id type: the most values of it one cluster may hold}, for the types that set one."""
        return {t: int(r.cluster_limit) for t, r in sorted(self.id_types.items()) if r.cluster_limit is not None}

    def priority_rank(self, id_type: str) -> tuple[int, int]:
        """Sort key of an id type when links compete: its priority, then unique, limited, the rest."""
        rules = self.rules(id_type)
        kind = 0 if rules.cluster_limit == 1 else 1 if rules.cluster_limit is not None else 2
        return (rules.priority if rules.priority is not None else 1_000_000, kind)

    def all_id_types(self) -> list[str]:
        seen = {i.type for s in self.edge_sources for i in s.ids} | set(self.id_types)
        return sorted(seen)

    def guard_fingerprint(self) -> str:
        """Changes when a guard rule changes: the stored graph then needs a full rebuild."""
        rules = {
            t: {"max": dict(sorted(self.rules(t).maximum_edges.items())), "hub": self.hub_threshold(t)}
            for t in self.all_id_types()
        }
        if self.cluster_limits():  # only then, so a stored graph without rules keeps its fingerprint
            rules["__cluster"] = {t: [self.rules(t).cluster_limit, self.priority_rank(t)] for t in self.all_id_types()}
        rules["__since"] = str(self.since) if self.since else None  # another begin_time: rebuild
        return hashlib.sha1(json.dumps(rules, sort_keys=True).encode()).hexdigest()[:16]

    def filter_fingerprint(self) -> str:
        """Changes when filters, sources or their SQL change: extracted days are then stale."""
        payload = {
            "since": str(self.since) if self.since else None,
            "sources": [s.fingerprint_fields() for s in self.edge_sources],
            "filters": {t: [asdict(f) for f in self.rules(t).filters] for t in self.all_id_types()},
            "junk": {t: [list(self.rules(t).junk_values), self.rules(t).drop_control_characters]
                     for t in self.all_id_types()},
        }
        return hashlib.sha1(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def unique_looking(plan: StitcherPlan) -> list[str]:
    """The plan's id types whose name says one value per person (user_id, customer_id, ...) but
    that set no cluster rule: pb lets a profile hold several, which is usually over-stitching."""
    return [t for t in plan.all_id_types()
            if _UNIQUE_LOOKING.match(t) and plan.rules(t).cluster_limit is None and t != plan.main_id_type]
