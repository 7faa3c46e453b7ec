"""growth: referral links, achievements, quizzes; members.referrer_id

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 08:07:51.932217
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('quizzes',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.Column('points_per_correct', sa.Integer(), nullable=False),
    sa.Column('completion_bonus', sa.Integer(), nullable=False),
    sa.Column('starts_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('completion_bonus >= 0', name=op.f('ck_quizzes_bonus_not_negative')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_quizzes_ends_after_start')),
    sa.CheckConstraint('points_per_correct >= 0', name=op.f('ck_quizzes_points_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quizzes'))
    )
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quizzes_status'), ['status'], unique=False)

    op.create_table('achievements',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('member_id', ID, nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('awarded_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_achievements_member_id_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_achievements')),
    sa.UniqueConstraint('member_id', 'key', name=op.f('uq_achievements_member_id'))
    )
    op.create_table('quiz_attempts',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('quiz_id', ID, nullable=False),
    sa.Column('member_id', ID, nullable=False),
    sa.Column('started_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_quiz_attempts_member_id_members'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_quiz_attempts_quiz_id_quizzes'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempts')),
    sa.UniqueConstraint('member_id', 'quiz_id', name=op.f('uq_quiz_attempts_member_id'))
    )
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempts_quiz_id'), ['quiz_id'], unique=False)

    op.create_table('quiz_questions',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('quiz_id', ID, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.CheckConstraint('correct >= 0', name=op.f('ck_quiz_questions_correct_not_negative')),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_quiz_questions_quiz_id_quizzes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_questions')),
    sa.UniqueConstraint('quiz_id', 'position', name=op.f('uq_quiz_questions_quiz_id'))
    )
    op.create_table('referral_links',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('member_id', ID, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('created_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_referral_links_member_id_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_links')),
    sa.UniqueConstraint('code', name=op.f('uq_referral_links_code'))
    )
    with op.batch_alter_table('referral_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_links_member_id'), ['member_id'], unique=False)

    op.create_table('quiz_answers',
    sa.Column('id', ID, autoincrement=True, nullable=False),
    sa.Column('attempt_id', ID, nullable=False),
    sa.Column('question_id', ID, nullable=False),
    sa.Column('option', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Boolean(), nullable=False),
    sa.Column('answered_at', db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_quiz_answers_attempt_id_quiz_attempts'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['question_id'], ['quiz_questions.id'], name=op.f('fk_quiz_answers_question_id_quiz_questions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_answers')),
    sa.UniqueConstraint('attempt_id', 'question_id', name=op.f('uq_quiz_answers_attempt_id'))
    )
    # On SQLite a batch "move and copy" of members would drop the table every other table
    # references, which foreign keys forbid once there are rows; ADD COLUMN carries the
    # reference itself instead.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            'ALTER TABLE members ADD COLUMN referrer_id INTEGER '
            'CONSTRAINT fk_members_referrer_id_members REFERENCES members (id)'
        )
    else:
        op.add_column('members', sa.Column('referrer_id', ID, nullable=True))
        op.create_foreign_key(
            op.f('fk_members_referrer_id_members'), 'members', 'members', ['referrer_id'], ['id']
        )
    op.create_index(op.f('ix_members_referrer_id'), 'members', ['referrer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_members_referrer_id'), table_name='members')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite can't drop a column that carries a reference: the table is copied instead,
        # which needs `PRAGMA foreign_keys=OFF` once other tables hold rows.
        with op.batch_alter_table('members', schema=None, recreate='always') as batch_op:
            batch_op.drop_column('referrer_id')
    else:
        op.drop_constraint(op.f('fk_members_referrer_id_members'), 'members', type_='foreignkey')
        op.drop_column('members', 'referrer_id')

    op.drop_table('quiz_answers')
    with op.batch_alter_table('referral_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_links_member_id'))

    op.drop_table('referral_links')
    op.drop_table('quiz_questions')
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_attempts_quiz_id'))

    op.drop_table('quiz_attempts')
    op.drop_table('achievements')
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quizzes_status'))

    op.drop_table('quizzes')
