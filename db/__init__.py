"""Persistence: typed models, the Database (engine + transactions) and Alembic migrations."""

from db.session import Database, SchemaOutdatedError

__all__ = ["Database", "SchemaOutdatedError"]
