"""A warehouse table kept equal to what was sent: (key, the fields..., synced_at), in the project's
own warehouse or in another connection of siteconfig.yaml. Each batch is one transaction:
the batch's keys are deleted, its upserts inserted."""

from __future__ import annotations

from datetime import datetime

from sqlglot import exp

from profiles_pipeline.activations.destinations.base import BatchOutcome, Op
from profiles_pipeline.warehouse.sqltree import literal


class TableDestination:
    def __init__(self, plan, adapter):
        d = plan.destination
        self.owned = d.connection is not None
        if self.owned:
            from profiles_pipeline.warehouse.connections import open_adapter, resolve_connection

            adapter = open_adapter(resolve_connection(plan.project_root, d.connection))
        self.adapter = adapter
        self.table = d.table
        self.fields = list(plan.columns.values())
        self.ready = False

    def _ensure(self, batch: list[Op]) -> None:
        if self.ready or self.adapter.table_exists(self.table):
            self.ready = True
            return
        fields = self.fields or sorted({k for o in batch for k in o.fields})
        self.fields = fields
        cols = [exp.ColumnDef(this=exp.to_identifier("key", quoted=True), kind=exp.DataType.build("VARCHAR"))]
        cols += [exp.ColumnDef(this=exp.to_identifier(f, quoted=True), kind=exp.DataType.build("VARCHAR")) for f in fields]
        cols.append(exp.ColumnDef(this=exp.to_identifier("synced_at", quoted=True), kind=exp.DataType.build("TIMESTAMP")))
        self.adapter.execute(exp.Create(this=exp.Schema(this=self.adapter.table_expr(self.table), expressions=cols),
                                        kind="TABLE", exists=True))
        self.ready = True

    def send(self, batch: list[Op]) -> BatchOutcome:
        self._ensure(batch)
        table = self.adapter.table_expr(self.table)
        keys = [exp.Literal.string(o.key) for o in batch]
        now = literal(datetime.utcnow().replace(microsecond=0))
        rows = [exp.tuple_(literal(o.key), *[literal(None if o.fields.get(f) is None else str(o.fields[f]))
                                             for f in self.fields], now.copy())
                for o in batch if o.op == "upsert"]
        with self.adapter.transaction():
            self.adapter.execute(exp.delete(table.copy(), where=exp.In(this=exp.column("key", quoted=True), expressions=keys)))
            if rows:
                self.adapter.execute(exp.insert(exp.values(rows), table.copy()))
        return BatchOutcome()

    def close(self) -> None:
        if self.owned:
            self.adapter.close()
