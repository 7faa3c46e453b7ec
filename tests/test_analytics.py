"""Analytics on a hand-made data set whose every figure is worked out by hand below; the chart
and the CSV exports, parsed back."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import update

from bot.charts import ChartText, overview_png
from bot.services import analytics
from bot.services.program import Program
from db.models import Member, Quiz, QuizAttempt
from tests.marketing import NOW, add_entry, add_members, add_operation, member_row

TZ = ZoneInfo("Europe/Moscow")
DAY = timedelta(days=1)
PROGRAM = Program()  # a point is worth 100 kopecks
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def shop(pool) -> dict[str, int]:
    """Five members (NOW is Monday 23 November, 12:00 in Moscow):

    anna   joined 15 Aug; bought 25 Aug (1000 ₽), 13 Nov (500 ₽), paid with points 18 Nov
           (300 ₽); a 999 ₽ purchase on 21 Nov was cancelled. Balance 120.
    boris  joined 3 Nov, invited by Anna; bought 8 Nov (200 ₽). Balance 30.
    clara  joined today; a held purchase (not counted). Balance 0.
    dima   joined 22 Nov 22:00 UTC, which is already Monday 23 Nov in Moscow; invited by Anna.
    egor   joined 24 Sep; bought 4 Oct (400 ₽). Balance 50.
    """
    names = ["anna", "boris", "clara", "dima", "egor"]
    ids = await add_members(
        pool,
        [
            member_row(1, created_at=NOW - 100 * DAY, points_balance=120, phone="+79990001122"),
            member_row(2, created_at=NOW - 20 * DAY, points_balance=30, language="en"),
            member_row(3, created_at=NOW - timedelta(hours=3)),
            member_row(4, created_at=datetime(2026, 11, 22, 22, 0, tzinfo=UTC)),
            member_row(5, created_at=NOW - 60 * DAY, points_balance=50),
        ],
    )
    people = dict(zip(names, ids, strict=True))
    anna, boris, clara, egor = people["anna"], people["boris"], people["clara"], people["egor"]
    async with pool() as session, session.begin():
        await session.execute(
            update(Member).where(Member.id.in_([boris, people["dima"]])).values(referrer_id=anna)
        )
        await add_operation(session, anna, at=NOW - 90 * DAY, amount=1000_00)
        await add_operation(session, anna, at=NOW - 10 * DAY, amount=500_00)
        await add_operation(session, anna, at=NOW - 5 * DAY, amount=300_00, kind="redeem")
        await add_operation(session, anna, at=NOW - 2 * DAY, amount=999_00, status="cancelled")
        await add_operation(session, boris, at=NOW - 15 * DAY, amount=200_00)
        await add_operation(session, egor, at=NOW - 50 * DAY, amount=400_00)
        await add_operation(session, clara, at=NOW - DAY, amount=100_00, status="held")

        await add_entry(session, anna, 10, "earn", at=NOW - 10 * DAY)
        await add_entry(session, anna, -30, "redeem", at=NOW - 5 * DAY)
        await add_entry(session, anna, 5, "earn", at=NOW - 5 * DAY)
        await add_entry(
            session, anna, 100, "bonus", at=NOW - 20 * DAY, reference=f"referral:{boris}"
        )
        spent = await add_entry(session, anna, -10, "redeem", at=NOW - 8 * DAY)
        await add_entry(session, anna, 10, "reversal", at=NOW - 7 * DAY, reverses=spent)
        await add_entry(session, boris, 2, "earn", at=NOW - 15 * DAY)
        earned = await add_entry(session, boris, 7, "earn", at=NOW - 12 * DAY)
        await add_entry(session, boris, -7, "reversal", at=NOW - 11 * DAY, reverses=earned)
        await add_entry(session, egor, 4, "earn", at=NOW - 50 * DAY)
        await add_entry(session, egor, -20, "expire", at=NOW - 3 * DAY)

        quiz = Quiz(
            title="Beans",
            points_per_correct=1,
            completion_bonus=0,
            starts_at=NOW - 30 * DAY,
            ends_at=NOW + DAY,
            status="published",
            created_by=1,
            created_at=NOW - 30 * DAY,
        )
        session.add(quiz)
        await session.flush()
        session.add_all(
            [
                QuizAttempt(
                    quiz_id=quiz.id,
                    member_id=anna,
                    started_at=NOW - 6 * DAY,
                    finished_at=NOW - 6 * DAY,
                    correct=1,
                    points=1,
                ),
                QuizAttempt(quiz_id=quiz.id, member_id=boris, started_at=NOW - 20 * DAY),
            ]
        )
    return people


async def figures(pool, days: int | None) -> analytics.Overview:
    async with pool() as session:
        return await analytics.overview(session, PROGRAM, now=NOW, tz=TZ, days=days)


async def test_the_last_30_days(pool, shop):
    got = await figures(pool, 30)
    assert (got.members, got.new_this_week, got.new_this_month, got.new_in_period) == (5, 2, 3, 3)
    assert (got.buyers_ever, got.engagement) == (3, 0.6)
    assert got.active == 2
    assert (got.purchases, got.buyers, got.repeat_buyers, got.repeat_rate) == (3, 2, 1, 0.5)
    assert (got.revenue, got.average_check) == (1000_00, 333_33)
    assert (got.lifetime_revenue, got.ltv) == (2400_00, 480_00)
    # earned: 10 + 5 + 2 + 7 − 7 (cancelled) + 100 (referral bonus); redeemed: 30 + 10 − 10.
    assert (got.points_earned, got.points_redeemed, got.points_expired) == (117, 30, 20)
    assert got.redemption_rate == pytest.approx(30 / 117)
    assert (got.points_outstanding, got.liability) == (200, 200_00)
    assert (got.referred, got.referral_points) == (2, 100)
    assert (got.quiz_players, got.quiz_attempts, got.quiz_finished) == (2, 2, 1)
    assert got.quiz_participation == 0.4


async def test_the_last_7_days_and_all_time(pool, shop):
    week = await figures(pool, 7)
    assert (week.new_in_period, week.purchases, week.buyers, week.repeat_buyers) == (2, 1, 1, 0)
    assert (week.revenue, week.average_check, week.repeat_rate) == (300_00, 300_00, 0.0)
    assert (week.points_earned, week.points_redeemed, week.points_expired) == (5, 20, 20)
    assert (week.referred, week.referral_points) == (1, 0)
    assert (week.quiz_players, week.quiz_attempts, week.quiz_finished) == (1, 1, 1)
    ever = await figures(pool, None)
    assert (ever.new_in_period, ever.purchases, ever.buyers, ever.repeat_buyers) == (5, 5, 3, 1)
    assert (ever.revenue, ever.average_check) == (2400_00, 480_00)
    assert ever.points_earned == 121 and ever.referred == 2


async def test_an_empty_program_has_no_ratios(pool):
    got = await figures(pool, 30)
    assert got.members == 0 and got.engagement is None and got.average_check is None
    assert got.ltv is None and got.redemption_rate is None and got.repeat_rate is None


async def test_weekly_series_by_local_week(pool, shop):
    async with pool() as session:
        weeks = await analytics.weekly(session, now=NOW, tz=TZ)
    assert len(weeks) == 12 and weeks[0].starts == date(2026, 9, 7)
    assert weeks[-1].starts == date(2026, 11, 23)
    by_week = {
        week.starts: (week.new_members, week.purchases, week.redemptions)
        for week in weeks
        if week.new_members or week.purchases or week.redemptions
    }
    assert by_week == {
        date(2026, 9, 21): (1, 0, 0),  # Egor joined
        date(2026, 9, 28): (0, 1, 0),  # Egor's purchase on Sunday 4 October
        date(2026, 11, 2): (1, 1, 0),  # Boris joined and bought
        date(2026, 11, 9): (0, 1, 0),
        date(2026, 11, 16): (0, 1, 1),  # Anna paid with points
        date(2026, 11, 23): (2, 0, 0),  # Clara, and Dima by Moscow time
    }


async def test_monthly_cohorts(pool, shop):
    async with pool() as session:
        cohorts = await analytics.cohorts(session, now=NOW, tz=TZ)
    assert [c.month for c in cohorts] == [date(2026, month, 1) for month in range(6, 12)]
    table = {c.month.month: (c.size, c.active) for c in cohorts}
    assert table == {
        6: (0, [0, 0, 0, 0, 0, 0]),
        7: (0, [0, 0, 0, 0, 0]),
        8: (1, [1, 0, 0, 1]),  # Anna: August, then November
        9: (1, [0, 1, 0]),  # Egor bought the month after joining
        10: (0, [0, 0]),
        11: (3, [1]),
    }
    august = cohorts[2]
    assert august.retention(0) == 1.0 and august.retention(1) == 0.0
    assert august.retention(4) is None and cohorts[0].retention(0) is None


CHART_TEXT = ChartText(
    weekly_title="По неделям",
    new_members="Новые участники",
    purchases="Покупки",
    redemptions="Оплата баллами",
    cohorts_title="Удержание",
    cohort_axis="Месяц вступления",
    month_axis="Месяцев после",
    size="участников:",
    empty="Пусто",
)


async def test_the_chart_is_a_png(pool, shop):
    async with pool() as session:
        weeks = await analytics.weekly(session, now=NOW, tz=TZ)
        cohorts = await analytics.cohorts(session, now=NOW, tz=TZ)
    png = overview_png(weeks, cohorts, CHART_TEXT)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.format == "PNG" and image.size == (990, 990)
    empty = overview_png(weeks, [], CHART_TEXT)
    assert Image.open(io.BytesIO(empty)).format == "PNG"


def test_matplotlib_is_loaded_only_to_draw():
    code = (
        "import sys, bot.app, bot.charts, handlers.marketer.stats;"
        "print('matplotlib' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def parse(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets then read UTF-8
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


async def test_members_csv_holds_only_what_members_gave(pool, shop):
    await add_members(pool, [member_row(-9, first_name="", created_at=NOW - 400 * DAY)])
    async with pool() as session:
        data = await analytics.members_csv(session, tz=TZ)
    rows = parse(data)
    assert [row["member_id"] for row in rows] == [str(i) for i in sorted(shop.values())]
    assert list(rows[0]) == list(analytics.MEMBER_COLUMNS)
    anna, boris = rows[0], rows[1]
    assert anna["phone"] == "+79990001122" and boris["phone"] == ""
    assert anna["points"] == "120" and anna["code"] == "0000-0001"
    assert anna["joined"] == "2026-08-15 12:00" and boris["language"] == "en"
    assert anna["promo_opt_in"] == "yes"
    assert "telegram_id" not in anna and "referrer_id" not in anna


async def test_operations_csv_for_a_period(pool, shop, monkeypatch):
    monkeypatch.setattr(analytics, "CSV_BATCH", 2)  # several batches
    async with pool() as session:
        week = parse(
            await analytics.operations_csv(session, tz=TZ, since=NOW - 7 * DAY, until=NOW)
        )
        ever = parse(await analytics.operations_csv(session, tz=TZ, since=None, until=NOW))
    assert [(row["kind"], row["status"], row["amount"]) for row in week] == [
        ("redeem", "done", "300.00"),
        ("purchase", "cancelled", "999.00"),
        ("purchase", "held", "100.00"),
    ]
    assert len(ever) == 7 and len({row["operation_id"] for row in ever}) == 7
    assert list(week[0]) == list(analytics.OPERATION_COLUMNS)
    assert week[0]["time"] == "2026-11-18 12:00" and week[0]["member_code"] == "0000-0001"
