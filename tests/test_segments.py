"""Segments: each filter, their combinations, and the audience count with who is left out."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from bot.services import broadcasts
from bot.services.segments import Segment, condition, count, parse_days
from db.models import Broadcast, BroadcastDelivery, Member, PointLot
from tests.marketing import NOW, add_entry, add_members, add_operation, birthday, member_row

TZ = ZoneInfo("Europe/Moscow")
DAY = timedelta(days=1)


@pytest.fixture
async def people(pool) -> dict[str, int]:
    """Six members, one of them erased; each filter picks a known few."""
    names = ["olga", "boris", "vera", "ivan", "erased", "nina"]
    ids = await add_members(
        pool,
        [
            member_row(1, created_at=NOW - 100 * DAY, birthday=birthday(11, 5)),
            member_row(
                2, tier="silver", language="en", created_at=NOW - 10 * DAY, promo_opt_in=False
            ),  # fmt: skip
            member_row(3, tier="gold", created_at=NOW - 40 * DAY, unreachable_at=NOW - DAY),
            member_row(4, language="en", created_at=NOW - 200 * DAY, birthday=birthday(12, 1)),
            member_row(-5, created_at=NOW - 300 * DAY, birthday=birthday(11, 9)),
            member_row(6, created_at=NOW - 2 * DAY, birthday=birthday(11, 30)),
        ],
    )
    people = dict(zip(names, ids, strict=True))
    async with pool() as session, session.begin():
        await add_operation(session, people["olga"], at=NOW - 70 * DAY)
        await add_operation(session, people["vera"], at=NOW - 5 * DAY)
        await add_operation(session, people["ivan"], at=NOW - 100 * DAY)
        # A cancelled purchase is no purchase: Ivan is still inactive, Nina never bought.
        await add_operation(session, people["ivan"], at=NOW - DAY, status="cancelled")
        await add_operation(session, people["nina"], at=NOW - DAY, status="declined")
        for who, expires in (("vera", NOW + 3 * DAY), ("nina", NOW + 20 * DAY)):
            entry = await add_entry(session, people[who], 50, "earn", at=NOW - DAY)
            session.add(
                PointLot(
                    member_id=people[who],
                    entry_id=entry,
                    amount=50,
                    remaining=50,
                    expires_at=expires,
                    created_at=NOW - DAY,
                )
            )
        # Spent or already expired lots don't count.
        entry = await add_entry(session, people["olga"], 10, "earn", at=NOW - DAY)
        session.add(
            PointLot(
                member_id=people["olga"],
                entry_id=entry,
                amount=10,
                remaining=0,
                expires_at=NOW + DAY,
                created_at=NOW - DAY,
            )
        )
    return people


async def chosen(pool, people: dict[str, int], segment: Segment) -> set[str]:
    names = {member_id: name for name, member_id in people.items()}
    async with pool() as session:
        found = await session.scalars(select(Member.id).where(condition(segment, now=NOW, tz=TZ)))
        result = {names[member_id] for member_id in found}
        assert await count(session, segment, now=NOW, tz=TZ) == len(result)
    return result


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        (Segment(), {"olga", "boris", "vera", "ivan", "nina"}),
        (Segment(tiers=("silver", "gold")), {"boris", "vera"}),
        (Segment(languages=("en",)), {"boris", "ivan"}),
        (Segment(inactive_days=60), {"olga", "ivan"}),
        (Segment(inactive_days=80), {"ivan"}),
        (Segment(never_purchased=True), {"boris", "nina"}),
        (Segment(joined_days=30), {"boris", "nina"}),
        (Segment(expiring_days=7), {"vera"}),
        (Segment(expiring_days=30), {"vera", "nina"}),
        (Segment(birthday_this_month=True), {"olga", "nina"}),
        (Segment(languages=("ru",), never_purchased=True), {"nina"}),
        (Segment(tiers=("base",), inactive_days=60), {"olga", "ivan"}),
        (Segment(tiers=("gold",), never_purchased=True), set()),
    ],
)
async def test_each_filter_and_their_combinations(pool, people, segment, expected):
    assert await chosen(pool, people, segment) == expected


async def test_birthday_month_is_the_local_one(pool, people):
    """21:30 UTC on 30 November is already 1 December in Moscow."""
    names = {member_id: name for name, member_id in people.items()}
    moment = NOW.replace(day=30, hour=21, minute=30)
    async with pool() as session:
        found = await session.scalars(
            select(Member.id).where(
                condition(Segment(birthday_this_month=True), now=moment, tz=TZ)
            )
        )
        assert {names[member_id] for member_id in found} == {"ivan"}


async def test_the_audience_says_who_is_left_out_and_why(pool, people):
    async with pool() as session, session.begin():
        earlier = Broadcast(
            kind="message",
            status="done",
            created_by=1,
            created_at=NOW - 3 * DAY,
            summary="",
            segment={},
            send_at=NOW - 3 * DAY,
            total=0,
            progress_shown="",
            progress_final=True,
        )
        session.add(earlier)
        await session.flush()
        await session.execute(
            insert(BroadcastDelivery),
            [
                {"broadcast_id": earlier.id, "member_id": people["olga"], "status": "sent",
                 "attempts": 1, "sent_at": NOW - 3 * DAY},
                {"broadcast_id": earlier.id, "member_id": people["nina"], "status": "sent",
                 "attempts": 1, "sent_at": NOW - 8 * DAY},
            ],
        )  # fmt: skip
    async with pool() as session:
        audience = await broadcasts.audience(session, Segment(), now=NOW, tz=TZ, max_per_week=1)
        assert (audience.matching, audience.opted_out, audience.unreachable, audience.capped) == (
            5,
            1,
            1,
            1,
        )
        assert audience.recipients == 2  # Ivan and Nina (her broadcast was 8 days ago)
        uncapped = await broadcasts.audience(session, Segment(), now=NOW, tz=TZ, max_per_week=0)
        assert uncapped.recipients == 3


def test_segments_round_trip_and_edit():
    segment = Segment().toggle("tiers", "gold").toggle("languages", "en").flip("never_purchased")
    assert Segment.from_json(segment.to_json()) == segment
    assert segment.to_json() == {"tiers": ["gold"], "languages": ["en"], "never_purchased": True}
    assert segment.toggle("tiers", "gold").tiers == ()
    assert segment.with_days("inactive_days", 30).inactive_days == 30
    assert Segment().is_everyone and not segment.is_everyone
    with pytest.raises(ValueError):
        segment.with_days("inactive_days", 0)
    with pytest.raises(ValueError):
        segment.with_days("tiers", 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30", 30), (" 7 ", 7), ("0", None), ("-", None), ("3650", 3650), ("3651", False),
     ("abc", False), ("-5", False), ("", False)],
)  # fmt: skip
def test_parse_days(text, expected):
    result = parse_days(text)
    assert result == expected and type(result) is type(expected)
