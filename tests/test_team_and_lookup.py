"""Roles, one-time invitations, and finding a member at the counter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.services import lookup, members, team
from bot.services.card_tokens import CardTokens, deep_link, format_short_code
from bot.services.lookup import Found, Method
from bot.services.team import InviteOutcome, Role
from db.models import LookupLog

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
OWNER = 1
OWNERS = frozenset({OWNER})
TOKENS = CardTokens(b"s" * 32, ttl_seconds=600)


async def test_invite_appoints_once_and_expires(pool):
    async with pool() as session, session.begin():
        invite = await team.create_invite(session, Role.STAFF, created_by=OWNER, now=NOW)
        code = invite.code
        expired = (
            await team.create_invite(session, Role.MARKETER, created_by=OWNER, now=NOW)
        ).code
    assert team.looks_like_invite(code) and len(code) <= 64

    async def accept(user: int, invite_code: str, at: datetime = NOW):
        async with pool() as session, session.begin():
            return await team.accept_invite(
                session, invite_code, telegram_id=user, name=f"user {user}", now=at
            )

    results = await asyncio.gather(accept(10, code), accept(11, code))
    assert sorted(result.outcome for result in results) == [
        InviteOutcome.APPOINTED,
        InviteOutcome.USED,
    ]
    winner = 10 if results[0].outcome is InviteOutcome.APPOINTED else 11
    assert (await accept(winner, code)).outcome is InviteOutcome.APPOINTED  # same person again
    assert (
        await accept(12, expired, NOW + timedelta(hours=24, seconds=1))
    ).outcome is InviteOutcome.EXPIRED
    assert (await accept(12, "i" + "x" * 24)).outcome is InviteOutcome.UNKNOWN
    async with pool() as session:
        assert (await team.identify(session, winner, OWNERS)).role is Role.STAFF
        assert (await team.identify(session, 12, OWNERS)).role is None
        assert (await team.identify(session, OWNER, OWNERS)).role is Role.OWNER


async def test_revoked_staff_lose_their_role_at_once(pool):
    async with pool() as session, session.begin():
        code = (await team.create_invite(session, Role.STAFF, created_by=OWNER, now=NOW)).code
        await team.accept_invite(session, code, telegram_id=20, name="Oleg", now=NOW)
        await team.set_staff_mode(session, 20, True)
    async with pool() as session:
        person = await team.identify(session, 20, OWNERS)
        assert person.can_serve and person.staff_mode
    async with pool() as session, session.begin():
        assert await team.revoke(session, 20, by=OWNER, now=NOW)
        assert not await team.revoke(session, 20, by=OWNER, now=NOW)
    async with pool() as session:
        person = await team.identify(session, 20, OWNERS)
        assert person.role is None and not person.can_serve
        assert await team.team(session) == []


async def test_owner_removed_from_owner_ids_is_no_longer_an_owner(pool):
    async with pool() as session, session.begin():
        await team.ensure_owner_row(session, OWNER, name="Boss", now=NOW)
    async with pool() as session:
        assert (await team.identify(session, OWNER, frozenset())).role is None


async def _member(pool):
    async with pool() as session, session.begin():
        joined = await members.join(
            session, members.Applicant(500, "Анна", "Петрова", None, "ru"), now=NOW, tier="base"
        )
        return joined.member


async def test_lookup_by_link_photo_and_code_and_every_refusal(pool):
    member = await _member(pool)
    token = TOKENS.issue(member.id, member.card_version, NOW)
    async with pool() as session, session.begin():
        by_link = await lookup.by_token(session, TOKENS, token, staff_id=7, now=NOW)
        by_photo = await lookup.by_photo(
            session, TOKENS, [deep_link("bot", token)], staff_id=7, now=NOW
        )
        by_code = await lookup.by_code(
            session, format_short_code(member.short_code).lower(), staff_id=7, now=NOW
        )
        expired = await lookup.by_token(
            session, TOKENS, token, staff_id=7, now=NOW + timedelta(minutes=11)
        )
        forged = await lookup.by_token(
            session,
            TOKENS,
            CardTokens(b"z" * 32, 600).issue(member.id, 1, NOW),
            staff_id=7,
            now=NOW,
        )
        unreadable = await lookup.by_photo(session, TOKENS, [], staff_id=7, now=NOW)
        foreign_qr = await lookup.by_photo(session, TOKENS, ["hello"], staff_id=7, now=NOW)
        unknown = await lookup.by_code(session, "AAAA-AAAA", staff_id=7, now=NOW)
        malformed = await lookup.by_code(session, "hello", staff_id=7, now=NOW)
        row = await members.get(session, member.id)
        await members.revoke_card_tokens(row)
    async with pool() as session, session.begin():
        revoked = await lookup.by_token(session, TOKENS, token, staff_id=7, now=NOW)
    assert [x.outcome for x in (by_link, by_photo, by_code)] == [Found.FOUND] * 3
    assert {by_link.member.id, by_photo.member.id, by_code.member.id} == {member.id}
    assert [by_link.method, by_photo.method, by_code.method] == [
        Method.LINK,
        Method.PHOTO,
        Method.CODE,
    ]
    assert expired.outcome is Found.EXPIRED and expired.member is None
    assert forged.outcome is Found.FORGED
    assert unreadable.outcome is Found.UNREADABLE and foreign_qr.outcome is Found.FORGED
    assert unknown.outcome is Found.UNKNOWN and malformed.outcome is Found.MALFORMED
    assert revoked.outcome is Found.REVOKED and revoked.member is None
    async with pool() as session:
        logged = (await session.scalars(select(LookupLog.outcome).order_by(LookupLog.id))).all()
    assert logged == [
        "found",
        "found",
        "found",
        "expired",
        "forged",
        "unreadable",
        "forged",
        "unknown",
        "malformed",
        "revoked",
    ]
