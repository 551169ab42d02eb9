"""Ideas keep the photo itself, so it shows on whichever messenger it is read.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ideas", sa.Column("photo_data", sa.LargeBinary(), nullable=True))
    op.add_column("ideas", sa.Column("photo_mime", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ideas") as batch:
        batch.drop_column("photo_mime")
        batch.drop_column("photo_data")
