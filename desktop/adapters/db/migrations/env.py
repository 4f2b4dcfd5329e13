"""Alembic environment. Migrations run from the app (desktop.adapters.db.migrate), which
hands over an open connection; there is no alembic.ini to keep in step."""

from alembic import context

from desktop.adapters.db.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch ALTERs
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
