"""A copy of every table's rows, taken once and put back before each test that needs it:
the seeded demo costs one seeding per run instead of one per test.

Rows go back with their own ids, parents before children (tables in foreign-key order, rows
by primary key). The ids came from the database's own sequences when they were first
stored, so rows inserted later never collide with them.
"""

from __future__ import annotations

import sqlalchemy as sa

from satisfaction.extensions import db


class Snapshot:
    def __init__(self, rows: dict[str, list[dict]]):
        self.rows = rows

    @classmethod
    def take(cls, connection: sa.Connection) -> Snapshot:
        rows = {}
        for table in db.metadata.sorted_tables:
            ordered = table.select().order_by(*table.primary_key.columns)
            rows[table.name] = [dict(row._mapping) for row in connection.execute(ordered)]
        return cls(rows)

    def restore(self, connection: sa.Connection) -> None:
        for table in db.metadata.sorted_tables:
            rows = self.rows[table.name]
            if not rows:
                continue
            # A row may point to a later row of its own table (a unit to its successor):
            # those links are set once every row is in.
            own = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
            connection.execute(table.insert(), [{**row, **dict.fromkeys(own)} for row in rows])
            keys = [column.name for column in table.primary_key.columns]
            for name in own:
                linked = [row for row in rows if row[name] is not None]
                if linked:
                    update = table.update().where(
                        *(table.c[k] == sa.bindparam(f"_{k}") for k in keys)
                    ).values({name: sa.bindparam(f"_{name}")})
                    connection.execute(update, [
                        {f"_{k}": row[k] for k in [*keys, name]} for row in linked])


def empty_tables(connection: sa.Connection) -> None:
    for table in reversed(db.metadata.sorted_tables):
        connection.execute(table.delete())


def reset_between_tests(app) -> None:
    """What a test leaves behind, gone: the per-process caches, the rate counters, the
    session and every row (the schema stays)."""
    from satisfaction.catalogue.lookup import forget_procedure_fields
    from satisfaction.qrcodes.resolve import forget_resolved_codes

    forget_procedure_fields()
    forget_resolved_codes()
    with app.app_context():
        app.extensions["rate_counters"].storage.reset()
        db.session.remove()
        with db.engine.begin() as conn:
            empty_tables(conn)
