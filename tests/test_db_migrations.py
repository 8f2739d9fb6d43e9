"""Migrations build the schema the models describe, and can be undone and redone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from web import create_app
from web.extensions import db


def _schema_diff() -> list:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, db.metadata)


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def _revisions(app) -> list[str]:
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    return [s.revision for s in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


def test_upgrade_downgrade_upgrade_from_an_empty_database(empty_database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        try:
            assert _tables() == set()
            # One revision at a time: every earlier revision upgrades to the next.
            for revision in _revisions(app):
                upgrade(revision=revision)
            assert {"communes", "visit_requests", "tour_versions", "visits"} <= _tables()
            assert _schema_diff() == []  # the migrated schema is exactly the models'
            for _ in _revisions(app):
                downgrade(revision="-1")
            assert _tables() == set()
            upgrade()
            assert _schema_diff() == []
        finally:
            db.session.remove()
            db.engine.dispose()


def test_there_is_a_single_head(app):
    from alembic.script import ScriptDirectory

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1
