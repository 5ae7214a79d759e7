"""leases: the inbox and both outboxes are claimed by one worker at a time (bot/storage/leases.py),
so several Rasa replicas and several notifiers can share one database

Revision ID: 0006_leases
Revises: 0005_security
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006_leases"
down_revision: Union[str, Sequence[str], None] = "0005_security"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("channel_inbox", "staff_alerts", "staff_messages")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
            batch.add_column(sa.Column("claim_token", sa.String(length=40), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("claim_token")
            batch.drop_column("lease_until")
