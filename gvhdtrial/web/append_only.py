"""Database triggers that make a table append-only (refuse UPDATE and DELETE).

Used by migrations for the audit trail and the chain of custody. Someone with direct database
access can still drop a trigger; ``gvhdtrial audit verify`` then detects the changed rows through
the hash chain.
"""

from __future__ import annotations

from typing import Any


def _statements(vendor: str, table: str) -> tuple[list[str], list[str]]:
    if vendor == "sqlite":
        create = [
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;",
        ]
        drop = [
            f"DROP TRIGGER IF EXISTS {table}_no_update;",
            f"DROP TRIGGER IF EXISTS {table}_no_delete;",
        ]
        return create, drop
    if vendor == "postgresql":
        create = [
            "CREATE OR REPLACE FUNCTION gvhdtrial_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql;",
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION gvhdtrial_append_only();",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION gvhdtrial_append_only();",
        ]
        drop = [
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
        ]
        return create, drop
    return [], []


def install(table: str) -> tuple[Any, Any]:
    """RunPython forward/backward functions installing the triggers on ``table``."""

    def forward(apps: Any, schema_editor: Any) -> None:
        create, _ = _statements(schema_editor.connection.vendor, table)
        for sql in create:
            schema_editor.execute(sql, params=None)

    def backward(apps: Any, schema_editor: Any) -> None:
        _, drop = _statements(schema_editor.connection.vendor, table)
        for sql in drop:
            schema_editor.execute(sql, params=None)

    return forward, backward


def drop_statements(vendor: str, table: str) -> list[str]:
    """The SQL that removes the protection (used by tests that tamper with the table)."""
    return _statements(vendor, table)[1]
