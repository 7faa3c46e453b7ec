"""scheduled engagement: birthdays, coupons, expiry reminders, win-back, job runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birthday_set_at', db.base.UTCDateTime(timezone=True), nullable=True))
    # Birthdays stored before this revision count as known since the member joined.
    op.execute('UPDATE members SET birthday_set_at = consent_at WHERE birthday IS NOT NULL')

    op.create_table('coupons',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('member_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('valid_from', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('redeemed_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('redeemed_by', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('percent > 0 AND percent <= 100', name=op.f('ck_coupons_percent_in_range')),
    sa.CheckConstraint('valid_until > valid_from', name=op.f('ck_coupons_window_not_empty')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_coupons_member_id_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupons')),
    sa.UniqueConstraint('key', name=op.f('uq_coupons_key'))
    )
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.create_index('ix_coupons_member_valid', ['member_id', 'valid_until'], unique=False)

    op.create_table('birthday_gifts',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('member_id', ID, nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('celebrated_on', sa.Date(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('coupon_id', ID, nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_birthday_gifts_coupon_id_coupons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_birthday_gifts_member_id_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_birthday_gifts')),
    sa.UniqueConstraint('member_id', 'year', name=op.f('uq_birthday_gifts_member_id'))
    )
    op.create_table('expiry_reminders',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('member_id', ID, nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_expiry_reminders_member_id_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expiry_reminders')),
    sa.UniqueConstraint('member_id', 'expires_on', 'days_before', name=op.f('uq_expiry_reminders_member_id'))
    )
    op.create_table('winback_offers',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('member_id', ID, nullable=False),
    sa.Column('inactive_since', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('coupon_id', ID, nullable=True),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_winback_offers_coupon_id_coupons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_winback_offers_member_id_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_winback_offers')),
    sa.UniqueConstraint('member_id', 'inactive_since', name=op.f('uq_winback_offers_member_id'))
    )
    op.create_table('job_runs',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('job', sa.String(length=32), nullable=False),
    sa.Column('started_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.Column('undelivered', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_job_started', ['job', 'started_at'], unique=False)

    with op.batch_alter_table('point_lots', schema=None) as batch_op:
        batch_op.create_index(
            'ix_point_lots_open',
            ['member_id', 'expires_at'],
            unique=False,
            postgresql_where=sa.text('remaining > 0'),
            sqlite_where=sa.text('remaining > 0'),
        )


def downgrade() -> None:
    with op.batch_alter_table('point_lots', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_point_lots_open',
            postgresql_where=sa.text('remaining > 0'),
            sqlite_where=sa.text('remaining > 0'),
        )

    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_job_runs_job_started')

    op.drop_table('job_runs')
    op.drop_table('winback_offers')
    op.drop_table('expiry_reminders')
    op.drop_table('birthday_gifts')
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.drop_index('ix_coupons_member_valid')

    op.drop_table('coupons')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('birthday_set_at')
