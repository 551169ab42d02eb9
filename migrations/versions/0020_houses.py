"""Houses: addresses from the State Address Register, a resident's house, house elders, and
announcements to one house.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "houses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("locality_id", sa.Integer(), nullable=True),
        sa.Column("address_code", sa.String(length=20), nullable=True),
        sa.Column("street", sa.String(length=120), nullable=True),
        sa.Column("house_name", sa.String(length=120), nullable=True),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("flats", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_houses_unit_id_units"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["locality_id"],
            ["localities.id"],
            name=op.f("fk_houses_locality_id_localities"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_houses")),
        sa.UniqueConstraint("address_code", name=op.f("uq_houses_address_code")),
    )
    op.create_index(op.f("ix_houses_unit_id"), "houses", ["unit_id"], unique=False)
    op.create_index(op.f("ix_houses_locality_id"), "houses", ["locality_id"], unique=False)
    # Plain ALTER TABLE, never a batch copy (a copy of `residents` would cascade deletes);
    # so these columns carry no foreign key.
    op.add_column("residents", sa.Column("house_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_residents_house_id"), "residents", ["house_id"], unique=False)
    op.add_column("role_grants", sa.Column("house_id", sa.Integer(), nullable=True))
    op.add_column("role_invites", sa.Column("house_id", sa.Integer(), nullable=True))
    op.add_column("broadcasts", sa.Column("house_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("broadcasts", "house_id")
    op.drop_column("role_invites", "house_id")
    op.drop_column("role_grants", "house_id")
    op.drop_index(op.f("ix_residents_house_id"), table_name="residents")
    op.drop_column("residents", "house_id")
    op.drop_index(op.f("ix_houses_locality_id"), table_name="houses")
    op.drop_index(op.f("ix_houses_unit_id"), table_name="houses")
    op.drop_table("houses")
