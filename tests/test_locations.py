"""Locations (the branches of a chain): the owner's /locations, invitations to a location,
moving staff, every operation recording where it happened, /stats and exports by location, and
a single shop that never sees any of it. Through the real Dispatcher and the fake Telegram."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.services import analytics, locations, team
from bot.services.card_tokens import CardTokens
from bot.services.locations import LocationGone, NameInvalid, NameTaken
from bot.services.program import Program
from bot.services.team import InviteOutcome, Role
from db.models import Location, Member, Operation, TeamInvite, TeamMember
from tests.harness import OWNER_ID, SECRET, button_data, buttons, make_harness, texts
from tests.marketing import add_entry, add_members, add_operation, member_row

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday, 12:00 in Moscow
TZ = ZoneInfo("Europe/Moscow")
DAY = timedelta(days=1)
TOKENS = CardTokens(SECRET.encode(), 600)
EN_OWNER = 9002


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(
        engine, tmp_path=tmp_path, start=NOW, owner_ids=frozenset({OWNER_ID, EN_OWNER})
    )
    yield harness
    assert harness.telegram.violations == []


# ---- helpers -----------------------------------------------------------------------------------


async def join(harness, user) -> Member:
    await harness.text(user, "/start")
    greeting = harness.last(user)
    await harness.press(user, greeting, button_data(greeting, "✅"))
    async with harness.app.pool() as session:
        return await session.scalar(select(Member).where(Member.telegram_id == user.id))


async def add_location(harness, owner, name: str) -> list:
    """/locations → Add → the name; the calls the name caused."""
    await harness.text(owner, "/locations")
    listing = harness.last(owner)
    await harness.press(owner, listing, button_data(listing, "➕"))
    return await harness.text(owner, name)


async def location_id(harness, name: str) -> int:
    async with harness.app.pool() as session:
        return await session.scalar(select(Location.id).where(Location.name == name))


async def team_row(harness, telegram_id: int) -> TeamMember:
    async with harness.app.pool() as session:
        return await session.scalar(
            select(TeamMember).where(TeamMember.telegram_id == telegram_id)
        )


async def operations_in_order(harness) -> list[Operation]:
    async with harness.app.pool() as session:
        return list(await session.scalars(select(Operation).order_by(Operation.id)))


async def buy(harness, staff, member: Member, amount: str) -> dict:
    token = TOKENS.issue(member.id, member.card_version, harness.clock.now())
    await harness.text(staff, f"/start {token}")
    view = harness.last(staff)
    await harness.press(staff, view, button_data(view, "🛒"))
    await harness.text(staff, amount)
    confirm = harness.last(staff)
    await harness.press(staff, confirm, button_data(confirm, "✅"))
    return harness.last(staff)


async def accept(harness, user, link: str) -> None:
    calls = await harness.text(user, f"/start {link.split('start=')[1]}")
    assert "Добро пожаловать в команду" in texts(calls)[0] or "Welcome" in texts(calls)[0]
    await harness.text(user, "/staff")


def parse(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# ---- the domain service ------------------------------------------------------------------------


async def test_names_are_trimmed_unique_and_at_most_64_characters(pool):
    async with pool() as session, session.begin():
        centre = await locations.create(session, "  Центр \t на  Мира ", created_by=1, now=NOW)
        assert centre.name == "Центр на Мира"
        for bad in ("", "   ", "x" * 65, "/start"):
            with pytest.raises(NameInvalid):
                await locations.create(session, bad, created_by=1, now=NOW)
        assert (await locations.create(session, "y" * 64, created_by=1, now=NOW)).name
        with pytest.raises(NameTaken) as taken:
            await locations.create(session, "ЦЕНТР НА МИРА", created_by=1, now=NOW)
        assert taken.value.name == "Центр на Мира" and not taken.value.archived
        station = await locations.create(session, "Вокзал", created_by=1, now=NOW)
        with pytest.raises(NameTaken):
            await locations.rename(session, station.id, "центр на мира")
        assert (await locations.rename(session, station.id, "вокзал")).name == "вокзал"
        await locations.archive(session, station.id, now=NOW)
        with pytest.raises(NameTaken) as taken:
            await locations.create(session, "Вокзал", created_by=1, now=NOW)
        assert taken.value.archived
        with pytest.raises(LocationGone):
            await locations.rename(session, station.id, "Новый вокзал")
        with pytest.raises(LocationGone):
            await locations.usable(session, station.id)
        with pytest.raises(LocationGone):
            await locations.usable(session, 999)
        assert await locations.usable(session, None) is None
        assert [place.name for place in await locations.active(session)] == [
            "y" * 64,
            "Центр на Мира",
        ]
        assert (await locations.names(session))[station.id] == "вокзал"  # history keeps it


async def test_archiving_leaves_its_staff_without_a_location_and_refuses_new_ones(pool):
    async with pool() as session, session.begin():
        centre = await locations.create(session, "Центр", created_by=1, now=NOW)
        first = await team.create_invite(
            session, Role.STAFF, created_by=1, now=NOW, location_id=centre.id
        )
        late = await team.create_invite(
            session, Role.STAFF, created_by=1, now=NOW, location_id=centre.id
        )
        result = await team.accept_invite(
            session, first.code, telegram_id=20, name="Ivan", now=NOW
        )
        assert result.outcome is InviteOutcome.APPOINTED and result.location_id == centre.id
        assert await locations.workplace(session, 20) == centre.id
        [summary] = await locations.summaries(session, now=NOW, tz=TZ)
        assert (summary.name, summary.people, summary.today, summary.recent) == ("Центр", 1, 0, 0)

        await locations.archive(session, centre.id, now=NOW)
        assert await locations.workplace(session, 20) is None
        assert (await session.get(TeamMember, 1)).location_id is None
        result = await team.accept_invite(session, late.code, telegram_id=21, name="Petr", now=NOW)
        assert result.outcome is InviteOutcome.APPOINTED and result.location_id is None
        with pytest.raises(LocationGone):
            await locations.assign(session, 21, centre.id)
        assert await locations.summaries(session, now=NOW, tz=TZ) == []
        assert not await locations.any_active(session)


# ---- /locations in the chat --------------------------------------------------------------------


async def test_owner_adds_renames_and_archives_locations(harness):
    owner = harness.user(OWNER_ID, "Ольга", "ru")
    calls = await harness.text(owner, "/locations")
    assert "Точек пока нет" in texts(calls)[-1]
    assert [label for label, _ in buttons(harness.last(owner))] == ["➕ Добавить точку"]

    await harness.press(owner, harness.last(owner), button_data(harness.last(owner), "➕"))
    assert "Пришлите название новой точки (до 64 символов)" in harness.last(owner)["text"]
    calls = await harness.text(owner, "  Центр  ")
    assert "Точка «Центр» добавлена" in texts(calls)[-1]
    assert "<b>Центр</b> · 0 сотрудников · сегодня 0 · за 30 дней 0" in texts(calls)[-1]

    calls = await add_location(harness, owner, "центр")  # the same name, another case
    assert texts(calls) == ["Точка «Центр» уже есть. Выберите другое название или /cancel."]
    calls = await harness.text(owner, "x" * 65)
    assert "от 1 до 64 символов" in texts(calls)[-1]
    calls = await harness.text(owner, "Вокзал")  # still asking: a new name goes through
    assert "Точка «Вокзал» добавлена" in texts(calls)[-1]

    listing = harness.last(owner)
    await harness.press(owner, listing, button_data(listing, "✏️ Вокзал"))
    calls = await harness.text(owner, "Центр")
    assert "уже есть" in texts(calls)[-1]
    calls = await harness.text(owner, "Вокзальная")
    assert "«Вокзал» теперь называется «Вокзальная»" in texts(calls)[-1]

    listing = harness.last(owner)
    await harness.press(owner, listing, button_data(listing, "🗄 В архив: Вокзальная"))
    confirm = harness.last(owner)
    assert "Отправить «<b>Вокзальная</b>» в архив?" not in confirm["text"]  # parsed as HTML
    assert "Отправить «Вокзальная» в архив?" in confirm["text"]
    await harness.press(owner, confirm, button_data(confirm, "Нет"))
    assert "остаётся как есть" in harness.telegram.message(owner.id, confirm["message_id"])["text"]
    await harness.press(owner, listing, button_data(listing, "🗄 В архив: Вокзальная"))
    confirm = harness.last(owner)
    await harness.press(owner, confirm, button_data(confirm, "Да, в архив"))
    calls = await harness.press(owner, confirm, button_data(confirm, "Да, в архив"))  # again
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert (
        "«Вокзальная» в архиве"
        in harness.telegram.message(owner.id, confirm["message_id"])["text"]
    )
    calls = await harness.press(owner, listing, button_data(listing, "✏️ Вокзальная"))
    assert "в архиве" in calls[0].params["text"]  # an old button on an archived location

    calls = await harness.text(owner, "/locations")
    assert "Вокзальная" not in texts(calls)[-1] and "Центр" in texts(calls)[-1]

    olga = harness.user(EN_OWNER, "Olga", "en")  # the other owner, in English
    calls = await add_location(harness, olga, "ВОКЗАЛЬНАЯ")
    assert texts(calls) == [
        "The archived location Вокзальная keeps this name. Try another name, or /cancel."
    ]
    calls = await harness.text(olga, "/cancel")
    assert texts(calls) == ["Cancelled: nothing changed."]
    async with harness.app.pool() as session:
        assert sorted((await locations.names(session)).values()) == ["Вокзальная", "Центр"]


async def test_only_owners_manage_locations(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    calls = await harness.text(anna, "/locations")
    assert texts(calls) == ["Извините, это только для сотрудников."]
    ivan = harness.user(20, "Ivan", "ru")
    calls = await harness.text(harness.user(OWNER_ID, "Olga", "en"), "/invite staff")
    await accept(harness, ivan, texts(calls)[-1].split()[-1])
    calls = await harness.text(ivan, "/locations")
    assert texts(calls) == ["Извините, это только для сотрудников."]
    for data in ("lc:a:0", f"mv:{ivan.id}:0", "iv:staff:0"):
        forged = {
            "message_id": 1,
            "chat": {"id": ivan.id, "type": "private"},
            "date": 0,
            "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": data}]]},
        }
        calls = await harness.feed(harness.telegram.press(ivan, forged, data))
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
        assert "только для сотрудников" in calls[0].params["text"]
    async with harness.app.pool() as session:
        assert await locations.names(session) == {}
    menu = harness.telegram.my_commands({"type": "chat", "chat_id": OWNER_ID}, "")
    assert "locations" in [command["command"] for command in menu]


# ---- staff, invitations and operations ---------------------------------------------------------


async def test_staff_invited_to_a_location_record_operations_there_until_moved(harness):
    owner = harness.user(OWNER_ID, "Olga", "en")
    await add_location(harness, owner, "Centre")
    await add_location(harness, owner, "Station")
    centre, station = await location_id(harness, "Centre"), await location_id(harness, "Station")
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)

    calls = await harness.text(owner, "/invite staff")
    ask = harness.last(owner)
    assert texts(calls)[-1] == "Which location will the new staff member work at?"
    assert [label for label, _ in buttons(ask)] == [
        "📍 Centre",
        "📍 Station",
        "No specific location",
    ]
    await harness.press(owner, ask, button_data(ask, "📍 Centre"))
    invitation = harness.telegram.message(owner.id, ask["message_id"])["text"]
    assert "📍 Location: Centre" in invitation
    link = next(line for line in invitation.split("\n") if "start=" in line)
    ivan = harness.user(20, "Ivan", "ru")
    await accept(harness, ivan, link)
    assert (await team_row(harness, ivan.id)).location_id == centre

    result = await buy(harness, ivan, member, "500")
    assert "записана" in result["text"]  # the staff view and the result are unchanged
    harness.clock.advance(timedelta(hours=1))

    await harness.text(owner, "/team")
    listing = harness.last(owner)
    assert "Ivan · staff member · since 23.11.2026 · 📍 Centre" in listing["text"]
    await harness.press(owner, listing, button_data(listing, "📍 Move Ivan"))
    pick = harness.last(owner)
    assert pick["text"] == "Where does Ivan work now?"
    await harness.press(owner, pick, button_data(pick, "📍 Station"))
    assert (
        harness.telegram.message(owner.id, pick["message_id"])["text"]
        == "📍 Ivan now works at Station."
    )
    calls = await harness.press(owner, pick, button_data(pick, "📍 Station"))  # a double tap
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert calls[0].params["text"] == "Already there: nothing to change."
    notice = harness.telegram.bot_messages(ivan.id)[-1]["text"]
    assert notice.startswith("📍 Владелец перевёл вас на точку «Station»")
    await buy(harness, ivan, member, "700")
    harness.clock.advance(timedelta(hours=1))

    await harness.press(owner, listing, button_data(listing, "📍 Move Ivan"))
    pick = harness.last(owner)
    await harness.press(owner, pick, button_data(pick, "No specific location"))
    await buy(harness, ivan, member, "100")
    harness.clock.advance(timedelta(hours=1))

    # The owner at the counter: their own location from /locations → "Where I work".
    await harness.text(owner, "/locations")
    listing = harness.last(owner)
    assert "<b>Centre</b>" not in listing["text"] and "Centre · 0 people" in listing["text"]
    await harness.press(owner, listing, button_data(listing, "Where I work"))
    pick = harness.last(owner)
    await harness.press(owner, pick, button_data(pick, "📍 Station"))
    assert "recorded at Station" in harness.telegram.message(owner.id, pick["message_id"])["text"]
    await harness.text(owner, "/staff")
    await buy(harness, owner, member, "40000")  # over 30 000: held for an owner
    alert = next(m for m in harness.telegram.bot_messages(OWNER_ID) if "is held" in m["text"])
    assert "Operation #4 is held" in alert["text"] and "📍 Station" in alert["text"]

    ops = await operations_in_order(harness)
    assert [(op.amount, op.location_id) for op in ops] == [
        (500_00, centre),
        (700_00, station),
        (100_00, None),
        (40000_00, station),
    ]
    await harness.text(owner, "/locations")
    listing = harness.last(owner)["text"]
    assert "Centre · 0 people · today 1 · 30 days 1" in listing
    assert "Station · 1 person · today 1 · 30 days 1" in listing  # the owner; held isn't done
    assert "Without a location · today 1 · 30 days 1" in listing


async def test_an_invitation_to_a_location_archived_meanwhile(harness):
    owner = harness.user(OWNER_ID, "Olga", "en")
    await add_location(harness, owner, "Centre")
    await add_location(harness, owner, "Station")
    await harness.text(owner, "/invite staff")
    ask = harness.last(owner)
    async with harness.app.pool() as session, session.begin():
        await locations.archive(session, await location_id(harness, "Station"), now=NOW)
    calls = await harness.press(owner, ask, button_data(ask, "📍 Station"))
    assert calls[0].params == {
        "callback_query_id": calls[0].params["callback_query_id"],
        "text": "This location no longer exists or has been archived.",
        "show_alert": True,
    }
    await harness.press(owner, ask, button_data(ask, "No specific location"))
    invitation = harness.telegram.message(owner.id, ask["message_id"])["text"]
    assert "Location" not in invitation and "start=i" in invitation
    async with harness.app.pool() as session:
        invites = list(await session.scalars(select(TeamInvite)))
    assert [invite.location_id for invite in invites] == [None]

    calls = await harness.text(owner, "/invite marketer")  # marketers are not asked
    assert "start=i" in texts(calls)[-1]


# ---- statistics --------------------------------------------------------------------------------


async def located_shop(harness) -> tuple[int, int]:
    """Anna bought at the Centre (twice, once paying with points), Boris at the Station; one
    purchase without a location; a Centre purchase cancelled."""
    async with harness.app.pool() as session, session.begin():
        centre = await locations.create(session, "Centre", created_by=OWNER_ID, now=NOW - 60 * DAY)
        station = await locations.create(session, "Station", created_by=OWNER_ID, now=NOW)
        centre_id, station_id = centre.id, station.id
    anna, boris = await add_members(
        harness.app.pool,
        [
            member_row(1, created_at=NOW - 50 * DAY, points_balance=20, first_name="Anna"),
            member_row(2, created_at=NOW - 20 * DAY, first_name="Boris"),
        ],
    )
    async with harness.app.pool() as session, session.begin():
        plan = [
            (anna, NOW - 10 * DAY, 1000_00, "purchase", "done", centre_id),
            (anna, NOW - 3 * DAY, 300_00, "redeem", "done", centre_id),
            (anna, NOW - 2 * DAY, 999_00, "purchase", "cancelled", centre_id),
            (boris, NOW - 5 * DAY, 200_00, "purchase", "done", station_id),
            (boris, NOW - 4 * DAY, 50_00, "purchase", "done", None),
        ]
        ids = []
        for member, at, amount, kind, status, place in plan:
            operation_id = await add_operation(
                session, member, at=at, amount=amount, kind=kind, status=status
            )
            (await session.get(Operation, operation_id)).location_id = place
            ids.append(operation_id)
        await add_entry(session, anna, 10, "earn", at=NOW - 10 * DAY, reference=f"op:{ids[0]}")
        await add_entry(session, anna, -5, "redeem", at=NOW - 3 * DAY, reference=f"op:{ids[1]}")
        earned = await add_entry(
            session, anna, 9, "earn", at=NOW - 2 * DAY, reference=f"op:{ids[2]}"
        )
        await add_entry(
            session, anna, -9, "reversal", at=NOW - DAY, reverses=earned, reference=f"op:{ids[2]}"
        )
        await add_entry(session, boris, 2, "earn", at=NOW - 5 * DAY, reference=f"op:{ids[3]}")
        await add_entry(session, boris, 100, "bonus", at=NOW - 5 * DAY, reference="referral:1")
    return centre_id, station_id


async def test_figures_series_and_exports_by_location(harness):
    centre, station = await located_shop(harness)
    program = Program()
    async with harness.app.pool() as session:
        every = await analytics.overview(session, program, now=NOW, tz=TZ, days=30)
        here = await analytics.overview(
            session, program, now=NOW, tz=TZ, days=30, location_id=centre
        )
        there = await analytics.overview(
            session, program, now=NOW, tz=TZ, days=30, location_id=station
        )
        weeks = await analytics.weekly(session, now=NOW, tz=TZ, location_id=centre)
        cohorts = await analytics.cohorts(session, now=NOW, tz=TZ, location_id=station)
        rows = parse(
            await analytics.operations_csv(
                session, tz=TZ, since=None, until=NOW, location_id=station
            )
        )
        everything = parse(await analytics.operations_csv(session, tz=TZ, since=None, until=NOW))
    assert (every.purchases, every.revenue, every.buyers) == (4, 1550_00, 2)
    assert (every.points_earned, every.points_redeemed) == (112, 5)
    assert (here.purchases, here.revenue, here.buyers, here.repeat_buyers) == (2, 1300_00, 1, 1)
    assert (here.points_earned, here.points_redeemed) == (10, 5)  # the cancelled 9 nets out
    assert (there.purchases, there.revenue, there.points_earned) == (1, 200_00, 2)
    # Members and balances belong to the chain: the same under every filter.
    assert here.members == there.members == every.members == 2
    assert here.points_outstanding == every.points_outstanding == 20
    assert here.location_id == centre and every.location_id is None
    assert sum(week.purchases for week in weeks) == 2
    assert sum(week.redemptions for week in weeks) == 1
    november = cohorts[-1]
    assert (november.size, november.active) == (1, [1])  # Boris joined and bought at the Station
    assert [(row["amount"], row["location"]) for row in rows] == [("200.00", "Station")]
    assert [row["location"] for row in everything] == ["Centre"] * 3 + ["Station", ""]


async def test_stats_location_picker_chart_and_csv(harness):
    await located_shop(harness)
    owner = harness.user(OWNER_ID, "Olga", "en")
    await harness.text(owner, "/stats")
    stats = harness.last(owner)
    assert "Purchases</b>: 4 by 2 members" not in stats["text"]
    assert "Purchases: 4 by 2 members" in stats["text"] and "📍" not in stats["text"]
    labels = [label for label, _ in buttons(stats)]
    assert labels[:4] == ["7 days", "• 30 days •", "90 days", "All time"]
    assert labels[4:7] == ["• All locations •", "Centre", "Station"]
    assert all(len(data.encode()) <= 64 for _, data in buttons(stats))

    calls = await harness.press(owner, stats, button_data(stats, "Centre"))
    assert [c.method for c in calls] == ["answerCallbackQuery", "editMessageText"]
    stats = harness.telegram.message(owner.id, stats["message_id"])
    assert "📍 Centre: purchases, revenue and points of this location" in stats["text"]
    assert "Purchases: 2 by 1 member" in stats["text"] and "revenue 1,300" in stats["text"]
    assert [label for label, _ in buttons(stats)][4:7] == [
        "All locations",
        "• Centre •",
        "Station",
    ]

    await harness.press(owner, stats, button_data(stats, "All time"))  # the location stays
    stats = harness.telegram.message(owner.id, stats["message_id"])
    assert "all time" in stats["text"] and "📍 Centre" in stats["text"]

    calls = await harness.press(owner, stats, button_data(stats, "Operations (CSV)"))
    document = next(c for c in calls if c.method == "sendDocument")
    [upload] = document.files.values()
    rows = parse(upload.data)
    assert [(row["amount"], row["status"], row["location"]) for row in rows] == [
        ("1000.00", "done", "Centre"),
        ("300.00", "done", "Centre"),
        ("999.00", "cancelled", "Centre"),
    ]
    assert upload.filename == "operations-all-Centre-2026-11-23.csv"
    assert document.params["caption"].endswith("📍 Centre")

    calls = await harness.press(owner, stats, button_data(stats, "Chart"))
    photo = next(c for c in calls if c.method == "sendPhoto")
    [upload] = photo.files.values()
    assert upload.data.startswith(b"\x89PNG") and upload.filename.startswith("stats-Centre-")

    await harness.press(owner, stats, button_data(stats, "All locations"))
    stats = harness.telegram.message(owner.id, stats["message_id"])
    assert "📍" not in stats["text"] and "Purchases: 4 by 2 members" in stats["text"]


# ---- a shop without locations ------------------------------------------------------------------


async def test_a_single_shop_never_sees_locations(harness):
    owner = harness.user(OWNER_ID, "Olga", "en")
    anna = harness.user(1, "Анна", "ru")
    member = await join(harness, anna)
    calls = await harness.text(owner, "/invite staff")  # the link at once, no question
    assert "Invitation for a staff member" in texts(calls)[-1]
    assert not buttons(harness.last(owner))
    ivan = harness.user(20, "Ivan", "ru")
    await accept(harness, ivan, texts(calls)[-1].split()[-1])
    await buy(harness, ivan, member, "500")
    await harness.text(owner, "/team")
    listing = harness.last(owner)
    assert "📍" not in listing["text"]
    assert [label for label, _ in buttons(listing)] == ["🧾 Ivan", "✖ Revoke Ivan"]
    await harness.text(owner, "/stats")
    stats = harness.last(owner)
    assert [label for label, _ in buttons(stats)] == [
        "7 days",
        "• 30 days •",
        "90 days",
        "All time",
        "📈 Chart",
        "⬇️ Members (CSV)",
        "⬇️ Operations (CSV)",
    ]
    calls = await harness.press(owner, stats, button_data(stats, "Operations (CSV)"))
    [upload] = next(c for c in calls if c.method == "sendDocument").files.values()
    assert [(row["amount"], row["location"]) for row in parse(upload.data)] == [("500.00", "")]
    assert [op.location_id for op in await operations_in_order(harness)] == [None]
