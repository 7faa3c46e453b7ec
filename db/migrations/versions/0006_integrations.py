"""locations, api keys, idempotency, outbound webhooks

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 11:20:59
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('locations',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('archived_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('name', name=op.f('uq_locations_name'))
    )
    op.create_table('webhook_endpoints',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('url', sa.String(length=512), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    op.create_table('api_keys',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('location_id', ID, nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.BigInteger(), nullable=True),
    sa.Column('revoked_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_api_keys_location_id_locations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_keys_prefix'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_location_id'), ['location_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('endpoint_id', ID, nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('endpoint_id', 'event_id', name=op.f('uq_webhook_deliveries_endpoint_id'))
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_deliveries_queue', ['status', 'next_attempt_at'], unique=False)

    op.create_table('api_idempotency',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('api_key_id', ID, nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response', sa.JSON(), nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_api_idempotency_api_key_id_api_keys'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotency')),
    sa.UniqueConstraint('api_key_id', 'key', name=op.f('uq_api_idempotency_api_key_id'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_phone'), ['phone'], unique=False)

    with op.batch_alter_table('operations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_id', ID, nullable=True))
        batch_op.add_column(sa.Column('api_key_id', ID, nullable=True))
        batch_op.add_column(sa.Column('receipt_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_operations_location_id'), ['location_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_operations_api_key_id_api_keys'), 'api_keys', ['api_key_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_operations_location_id_locations'), 'locations', ['location_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('team_invites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_id', ID, nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_team_invites_location_id_locations'), 'locations', ['location_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('location_id', ID, nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_team_members_location_id_locations'), 'locations', ['location_id'], ['id'], ondelete='RESTRICT')



def downgrade() -> None:
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_team_members_location_id_locations'), type_='foreignkey')
        batch_op.drop_column('location_id')

    with op.batch_alter_table('team_invites', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_team_invites_location_id_locations'), type_='foreignkey')
        batch_op.drop_column('location_id')

    with op.batch_alter_table('operations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_operations_location_id_locations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_operations_api_key_id_api_keys'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_operations_location_id'))
        batch_op.drop_column('receipt_id')
        batch_op.drop_column('api_key_id')
        batch_op.drop_column('location_id')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_phone'))

    op.drop_table('api_idempotency')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_queue')

    op.drop_table('webhook_deliveries')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_location_id'))

    op.drop_table('api_keys')
    op.drop_table('webhook_endpoints')
    op.drop_table('locations')
