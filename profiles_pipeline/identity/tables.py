"""Names and layouts of the tables one stitcher owns.

Public (pb names): `<name>` id graph, `<name>_edges` (view), `<name>_merges` (view over the
history), `<name>_audit` (view). Internal, double underscore: per-day extracted edges, the
integer-keyed node and link stores of the latest checkpoint (the head, which the incremental merge
works on), the history of every id's main id over the checkpoints, the checkpoints, and a
one-row state.
"""

from __future__ import annotations

from dataclasses import dataclass

from profiles_pipeline.identity.plan import StitcherPlan

DAY_EDGES_COLUMNS = (
    "day DATE, id1 VARCHAR, id1_type VARCHAR, id2 VARCHAR, id2_type VARCHAR, "
    "source VARCHAR, first_seen_at TIMESTAMP"
)
DAYS_COLUMNS = (
    "day DATE, extracted_at TIMESTAMP, filter_fingerprint VARCHAR, merged_through TIMESTAMP, "
    "rows_read BIGINT, ids_before BIGINT, ids_after BIGINT, edges_before BIGINT, edges_after BIGINT"
)
#: The columns of `DAYS_COLUMNS` in order, for inserts that name them.
DAYS_COLUMN_NAMES = tuple(c.split()[0] for c in DAYS_COLUMNS.split(", "))
EXCLUDED_COLUMNS = "day DATE, id_value VARCHAR, id_type VARCHAR, reason VARCHAR, occurrences BIGINT"
NODES_COLUMNS = (
    "node BIGINT, id_value VARCHAR, id_type VARCHAR, first_seen_at TIMESTAMP, degree BIGINT, "
    "hub BOOLEAN, comp BIGINT, main_id VARCHAR, decided_run_id VARCHAR"
)
LINKS_COLUMNS = (
    "n1 BIGINT, n2 BIGINT, source VARCHAR, first_seen_at TIMESTAMP, drop1 VARCHAR, drop2 VARCHAR, "
    "kept BOOLEAN, decided_run_id VARCHAR"
)
HISTORY_COLUMNS = (
    "id_value VARCHAR, id_type VARCHAR, main_id VARCHAR, first_seen_at TIMESTAMP, "
    "valid_from TIMESTAMP, valid_to TIMESTAMP"
)
CHECKPOINTS_COLUMNS = "cp_at TIMESTAMP, cp_day DATE, run_id VARCHAR, mode VARCHAR"
STATE_COLUMNS = (
    "end_time TIMESTAMP, run_id VARCHAR, guard_fingerprint VARCHAR, passes INTEGER, "
    "converged BOOLEAN, seconds DOUBLE, mode VARCHAR"
)


@dataclass(frozen=True)
class StitcherTables:
    name: str

    @classmethod
    def of(cls, plan: StitcherPlan) -> StitcherTables:
        return cls(plan.name)

    @property
    def graph(self) -> str:
        return self.name

    @property
    def edges(self) -> str:
        return f"{self.name}_edges"

    @property
    def merges(self) -> str:
        return f"{self.name}_merges"

    @property
    def audit(self) -> str:
        return f"{self.name}_audit"

    @property
    def day_edges(self) -> str:
        return f"{self.name}__day_edges"

    @property
    def days(self) -> str:
        return f"{self.name}__days"

    @property
    def excluded(self) -> str:
        return f"{self.name}__excluded"

    @property
    def nodes(self) -> str:
        return f"{self.name}__nodes"

    @property
    def links(self) -> str:
        return f"{self.name}__links"

    @property
    def state(self) -> str:
        return f"{self.name}__state"

    @property
    def history(self) -> str:
        return f"{self.name}__history"

    @property
    def checkpoints(self) -> str:
        return f"{self.name}__checkpoints"

    def work(self, what: str) -> str:
        """A scratch table of one run; replaced on the next run, dropped at the end."""
        return f"{self.name}__w_{what}"


def ensure_table(adapter, name: str, columns: str) -> None:
    adapter.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")


def ensure_days_table(adapter, t: StitcherTables) -> None:
    """`__days`, with `merged_through` added to a table written by an older version (whose days
    then count as not merged, so the next run rebuilds from them)."""
    ensure_table(adapter, t.days, DAYS_COLUMNS)
    if "merged_through" not in {c.name for c in adapter.columns(t.days)}:
        adapter.execute(f"ALTER TABLE {t.days} ADD COLUMN merged_through TIMESTAMP")
