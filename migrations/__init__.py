"""Alembic migrations of the Padome database."""
