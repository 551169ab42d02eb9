"""Residents without a phone: how they are reached and who recorded their paper consent.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 10:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, never a batch copy (a copy of `residents` would cascade deletes).
    op.add_column("residents", sa.Column("offline_contact", sa.String(length=16), nullable=True))
    op.add_column("residents", sa.Column("offline_details", sa.String(length=300), nullable=True))
    op.add_column("residents", sa.Column("paper_consent_by_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("residents", "paper_consent_by_id")
    op.drop_column("residents", "offline_details")
    op.drop_column("residents", "offline_contact")
