"""The HTTP API for cash registers over real HTTP: keys, idempotent writes, every validation
error, the caps of paying with points, cancellations, holds, and the member's Telegram receipt
(checked against the Bot API schema by the fake Telegram)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.services import wallet
from bot.services.card_tokens import CardTokens, format_short_code
from db.models import ApiIdempotency, ApiKey, LedgerEntry, LookupLog, Member, Operation
from tests.apikit import join, make_key, start_api
from tests.harness import OWNER_ID, SECRET, make_harness

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TOKENS = CardTokens(SECRET.encode(), 600)
PROBLEM = "application/problem+json"


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW)
    harness.user(OWNER_ID, "Olga", "en")
    yield harness
    assert harness.telegram.violations == []


@pytest.fixture
async def api(harness):
    api = await start_api(harness, api_rate_limit=10_000)
    yield api
    await api.settle()
    await api.client.close()


@pytest.fixture
async def anna(harness):
    return await join(harness, harness.user(1, "Анна", "ru"))


async def count(harness, model, *where) -> int:
    async with harness.app.pool() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def give_points(harness, member: Member, points: int) -> None:
    async with harness.app.pool() as session, session.begin():
        await wallet.grant_bonus(
            session,
            harness.app.program,
            member_id=member.id,
            points=points,
            key=f"test:{member.id}:{points}",
            reason="test",
            now=harness.clock.now(),
        )


def purchase(member: Member, amount: int = 125_000, **extra) -> dict:
    return {"member_id": member.id, "amount": amount, "receipt_id": "R-1", **extra}


def assert_problem(status: int, body: dict, response, expected: int, code: str) -> None:
    assert (status, body["code"]) == (expected, code), body
    assert response.content_type == PROBLEM
    assert body["type"] == f"https://loyalty.invalid/problems/{code}"
    assert body["status"] == expected and body["title"]


# ------------------------------------------------------------------------------------ keys


async def test_requests_without_a_valid_key_are_refused(harness, api, anna):
    token, key_id = await make_key(harness)
    wrong_secret = token[: token.rindex("_") + 1] + "A" * 43
    for key in (None, "", "lw_nonsense", wrong_secret, "Basic " + token):
        headers = {"Authorization": key} if key and key.startswith("Basic") else None
        status, body, response = await api.request(
            "GET", f"/v1/members/{anna.id}", key=None if headers else key, headers=headers
        )
        assert_problem(status, body, response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    status, _, _ = await api.get(f"/v1/members/{anna.id}", key=token)
    assert status == 200

    # Revoked in the bot: refused on the next request, and no write happens.
    async with harness.app.pool() as session, session.begin():
        await session.execute(
            update(ApiKey).where(ApiKey.id == key_id).values(revoked_at=NOW, revoked_by=OWNER_ID)
        )
    status, body, response = await api.write("/v1/purchases", purchase(anna), key=token)
    assert_problem(status, body, response, 401, "unauthorized")
    assert await count(harness, Operation) == 0


async def test_every_request_is_logged_with_the_key_and_touches_last_used(
    harness, api, anna, caplog
):
    token, key_id = await make_key(harness, "Till 7")
    caplog.set_level(logging.INFO, logger="bot.api")
    await api.get(f"/v1/members/{anna.id}", key=token, unused="+79991234567")
    await api.get(f"/v1/members/{anna.id}", key="lw_nope")
    records = [r for r in caplog.records if r.name == "bot.api"]
    assert [(r.api_key, r.method, r.path, r.status) for r in records] == [
        ("Till 7", "GET", f"/v1/members/{anna.id}", 200),
        (None, "GET", f"/v1/members/{anna.id}", 401),
    ]
    assert all(r.duration_ms >= 0 for r in records)
    assert "79991234567" not in caplog.text  # the query string is never logged
    async with harness.app.pool() as session:
        assert (await session.get(ApiKey, key_id)).last_used_at == NOW


# ---------------------------------------------------------------------------------- lookup


async def test_find_a_member_by_qr_link_token_code_and_phone(harness, api, anna):
    token, _ = await make_key(harness)
    async with harness.app.pool() as session, session.begin():
        await session.execute(
            update(Member).where(Member.id == anna.id).values(phone="+79991234567")
        )
    card = TOKENS.issue(anna.id, anna.card_version, NOW)
    for query in (
        {"token": card},
        {"token": f"https://t.me/loyalty_test_bot?start={card}"},
        {"code": format_short_code(anna.short_code).lower()},
        {"phone": "+7 (999) 123-45-67"},
    ):
        status, body, _ = await api.get("/v1/members/lookup", key=token, **query)
        assert status == 200, body
        assert body["member"]["id"] == anna.id and body["member"]["name"] == "Анна"
        assert body["lookup_id"] > 0
    assert await count(harness, LookupLog, LookupLog.staff_id == OWNER_ID) == 4

    harness.clock.advance(timedelta(minutes=11))
    expectations = [
        ({"token": card}, 422, "card-expired"),
        ({"token": "c" + "A" * 35}, 422, "card-invalid"),
        ({"token": "hello"}, 422, "card-invalid"),
        ({"code": "AAAA-AAAA"}, 404, "member-not-found"),
        ({"code": "12"}, 422, "code-invalid"),
        ({"phone": "+1 555 0100 999"}, 404, "member-not-found"),
        ({"phone": "call me"}, 422, "phone-invalid"),
    ]
    for query, expected, code in expectations:
        status, body, response = await api.get("/v1/members/lookup", key=token, **query)
        assert_problem(status, body, response, expected, code)
        assert body["lookup_id"] > 0
    for query in ({}, {"code": "AAAA-AAAA", "phone": "+79991234567"}):
        status, body, response = await api.get("/v1/members/lookup", key=token, **query)
        assert_problem(status, body, response, 422, "validation-failed")
    assert await count(harness, LookupLog) == 4 + len(expectations)


async def test_a_phone_shared_by_two_members_is_ambiguous(harness, api, anna):
    token, _ = await make_key(harness)
    boris = await join(harness, harness.user(2, "Boris", "en"))
    async with harness.app.pool() as session, session.begin():
        await session.execute(
            update(Member).where(Member.id.in_([anna.id, boris.id])).values(phone="+79990000000")
        )
    status, body, response = await api.get("/v1/members/lookup", key=token, phone="79990000000")
    assert_problem(status, body, response, 409, "phone-ambiguous")


async def test_member_balance_tier_stamps_and_nearest_expiry(harness, api, anna):
    token, _ = await make_key(harness)
    await give_points(harness, anna, 40)
    status, body, _ = await api.get(f"/v1/members/{anna.id}", key=token)
    assert status == 200
    assert body["points"] == 40 and body["stamps"] == 0 and body["stamps_needed"] == 5
    assert body["tier"]["key"] == "base" and body["tier"]["cashback_percent"] == 1
    assert body["tier"]["name"]["en"] == "Base"
    assert body["nearest_expiry"]["points"] == 40
    assert body["nearest_expiry"]["expires_at"].startswith("2027-05-22")
    assert body["reward_due"] is False and body["code"] == format_short_code(anna.short_code)

    status, body, response = await api.get("/v1/members/999999", key=token)
    assert_problem(status, body, response, 404, "member-not-found")
    status, body, response = await api.get("/v1/members/abc", key=token)
    assert_problem(status, body, response, 422, "validation-failed")
    assert body["errors"][0]["field"] == "id"


# ------------------------------------------------------------------------------- purchases


async def test_a_purchase_earns_points_and_the_member_gets_the_telegram_receipt(
    harness, api, anna
):
    token, key_id = await make_key(harness, location="Тверская")
    status, body, _ = await api.write(
        "/v1/purchases", purchase(anna, 125_000, receipt_id="Z-42"), key=token
    )
    assert status == 201, body
    assert body["operation"]["status"] == "done" and body["operation"]["kind"] == "purchase"
    assert body["operation"]["points_earned"] == 12  # 1 % of 1 250 ₽, in whole points
    assert (body["balance"], body["stamps"], body["operation"]["receipt_id"]) == (12, 1, "Z-42")
    async with harness.app.pool() as session:
        operation = await session.get(Operation, body["operation"]["id"])
        key = await session.get(ApiKey, key_id)
    assert (operation.api_key_id, operation.location_id) == (key_id, key.location_id)
    assert operation.location_id is not None and body["operation"]["location_id"] is not None
    assert operation.staff_id == OWNER_ID  # the owner who made the key answers for it
    assert operation.receipt_id == "Z-42"

    await api.settle()
    receipt = harness.telegram.bot_messages(anna.telegram_id)[-1]
    assert "1\xa0250" in receipt["text"] and "12" in receipt["text"]
    assert receipt["reply_markup"]["inline_keyboard"][0][0]["callback_data"].startswith("nm:")


async def test_a_retry_with_the_same_idempotency_key_changes_nothing(harness, api, anna):
    token, _ = await make_key(harness)
    first = await api.write("/v1/purchases", purchase(anna), key=token, idem="sale-1")
    again = await api.write("/v1/purchases", purchase(anna), key=token, idem="sale-1")
    assert first[0] == again[0] == 201 and first[1] == again[1]
    assert again[2].headers["Idempotent-Replayed"] == "true"
    # The same body written another way is the same request.
    reordered = dict(reversed(list(purchase(anna).items())))
    third = await api.write("/v1/purchases", reordered, key=token, idem="sale-1")
    assert third[1] == first[1]
    assert await count(harness, Operation) == 1
    assert await count(harness, LedgerEntry) == 1
    await api.settle()
    assert len(harness.telegram.bot_messages(anna.telegram_id)) == 3  # greeting, phone, receipt

    status, body, response = await api.write(
        "/v1/purchases", purchase(anna, 99_900), key=token, idem="sale-1"
    )
    assert_problem(status, body, response, 409, "idempotency-key-reused")
    # Another key may use the same Idempotency-Key: they are per key.
    other, _ = await make_key(harness, "Till 2")
    status, _, _ = await api.write("/v1/purchases", purchase(anna), key=other, idem="sale-1")
    assert status == 201
    assert await count(harness, Operation) == 2


async def test_a_problem_answer_is_replayed_too(harness, api, anna):
    token, _ = await make_key(harness)
    first = await api.write("/v1/purchases", purchase(anna, points=5), key=token, idem="p")
    assert first[0] == 422 and first[1]["code"] == "points-out-of-range"
    await give_points(harness, anna, 100)
    again = await api.write("/v1/purchases", purchase(anna, points=5), key=token, idem="p")
    assert (again[0], again[1]) == (first[0], first[1])
    assert again[2].content_type == PROBLEM
    assert await count(harness, Operation) == 0


async def test_concurrent_requests_with_one_idempotency_key_make_one_operation(harness, api, anna):
    token, _ = await make_key(harness)
    answers = await asyncio.gather(
        *(api.write("/v1/purchases", purchase(anna), key=token, idem="same") for _ in range(6))
    )
    assert {status for status, _, _ in answers} == {201}
    assert len({body["operation"]["id"] for _, body, _ in answers}) == 1
    assert await count(harness, Operation) == 1
    assert await count(harness, LedgerEntry) == 1
    assert await count(harness, ApiIdempotency) == 1
    async with harness.app.pool() as session:
        assert (await session.get(Member, anna.id)).points_balance == 12


async def test_writes_need_an_idempotency_key(harness, api, anna):
    token, _ = await make_key(harness)
    status, body, response = await api.request(
        "POST", "/v1/purchases", key=token, body=purchase(anna)
    )
    assert_problem(status, body, response, 400, "idempotency-key-missing")
    for bad in ("", "has space", "ключ", "x" * 101):
        status, body, response = await api.request(
            "POST",
            "/v1/purchases",
            key=token,
            body=purchase(anna),
            headers={"Idempotency-Key": bad},
        )
        assert_problem(status, body, response, 400, "idempotency-key-invalid")
    assert await count(harness, Operation) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "1250"}, "amount"),
        ({"amount": 1250.5}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 2**60}, "amount"),
        ({"amount": None}, "amount"),
        ({"member_id": True}, "member_id"),
        ({"member_id": 0}, "member_id"),
        ({"receipt_id": ""}, "receipt_id"),
        ({"receipt_id": "x" * 65}, "receipt_id"),
        ({"receipt_id": "чек\n1"}, "receipt_id"),
        ({"receipt_id": 17}, "receipt_id"),
        ({"points": -1}, "points"),
        ({"points": "10"}, "points"),
        ({"lookup_id": 0}, "lookup_id"),
        ({"discount": 10}, "discount"),
    ],
)
async def test_every_invalid_field_is_named(harness, api, anna, change, field):
    token, _ = await make_key(harness)
    status, body, response = await api.write("/v1/purchases", purchase(anna, **change), key=token)
    assert_problem(status, body, response, 422, "validation-failed")
    assert [error["field"] for error in body["errors"]] == [field]
    assert body["errors"][0]["code"] and body["errors"][0]["message"]


async def test_missing_fields_are_all_listed(harness, api):
    token, _ = await make_key(harness)
    status, body, response = await api.write("/v1/purchases", {}, key=token)
    assert_problem(status, body, response, 422, "validation-failed")
    assert sorted(error["field"] for error in body["errors"]) == [
        "amount",
        "member_id",
        "receipt_id",
    ]
    assert {error["code"] for error in body["errors"]} == {"missing"}


async def test_bodies_that_are_not_json_objects_or_too_large(harness, api, anna):
    token, _ = await make_key(harness)
    auth = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k"}
    as_json = {"Content-Type": "application/json"}
    cases = [
        (
            {"data": "a=1", "headers": {"Content-Type": "text/plain"}},
            415,
            "unsupported-media-type",
        ),
        ({"data": "{nope", "headers": as_json}, 400, "malformed-json"),
        ({"data": "[1, 2]", "headers": as_json}, 400, "malformed-json"),
        ({"data": b"\xff\xfe", "headers": as_json}, 400, "malformed-json"),
        ({"json": {**purchase(anna), "receipt_id": "x" * 20_000}}, 413, "body-too-large"),
    ]
    for kwargs, expected, code in cases:
        headers = {**auth, **kwargs.pop("headers", {})}
        response = await api.client.post("/v1/purchases", headers=headers, **kwargs)
        body = await response.json(content_type=None)
        assert_problem(response.status, body, response, expected, code)
    assert await count(harness, Operation) == 0 and await count(harness, ApiIdempotency) == 0


async def test_unknown_paths_and_methods_are_problems_too(harness, api):
    token, _ = await make_key(harness)
    status, body, response = await api.get("/v1/nothing", key=token)
    assert_problem(status, body, response, 404, "not-found")
    status, body, response = await api.request("DELETE", "/v1/purchases", key=token)
    assert_problem(status, body, response, 405, "method-not-allowed")
    assert "POST" in response.headers["Allow"]


async def test_each_key_is_rate_limited(harness, anna):
    api = await start_api(harness, api_rate_limit=3)
    try:
        token, _ = await make_key(harness)
        other, _ = await make_key(harness, "Till 2")
        statuses = [(await api.get(f"/v1/members/{anna.id}", key=token))[0] for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        status, body, response = await api.get(f"/v1/members/{anna.id}", key=token)
        assert_problem(status, body, response, 429, "rate-limited")
        assert int(response.headers["Retry-After"]) >= 1
        assert (await api.get(f"/v1/members/{anna.id}", key=other))[0] == 200
    finally:
        await api.client.close()


# ------------------------------------------------------------------ paying with points, caps


async def test_points_pay_at_most_the_programs_share_of_the_check(harness, api, anna):
    token, _ = await make_key(harness)
    await give_points(harness, anna, 1000)
    status, body, _ = await api.get(
        "/v1/quotes", key=token, member_id=anna.id, amount=100_000, points=0
    )
    assert status == 200 and body["max_points"] == 300  # 30 % of 1 000 ₽, 1 point = 1 ₽
    assert body["points_to_earn"] == 10 and body["earns_stamp"] is True
    status, body, response = await api.get(
        "/v1/quotes", key=token, member_id=anna.id, amount=100_000, points=301
    )
    assert_problem(status, body, response, 422, "points-out-of-range")
    assert body["maximum"] == 300

    status, body, response = await api.write(
        "/v1/purchases", purchase(anna, 100_000, points=301), key=token
    )
    assert_problem(status, body, response, 422, "points-out-of-range")
    assert body["maximum"] == 300
    assert await count(harness, Operation) == 0

    # Found by the card's QR just now: the member is at the counter, the points pay at once.
    card = TOKENS.issue(anna.id, anna.card_version, NOW)
    _, found, _ = await api.get("/v1/members/lookup", key=token, token=card)
    status, body, _ = await api.write(
        "/v1/purchases",
        purchase(anna, 100_000, points=300, lookup_id=found["lookup_id"]),
        key=token,
    )
    assert status == 201, body
    assert body["operation"]["kind"] == "redeem" and body["operation"]["points_redeemed"] == 300
    assert body["operation"]["points_earned"] == 7  # 1 % of the 700 ₽ paid in money
    assert body["balance"] == 1000 - 300 + 7
    await api.settle()
    assert "300" in harness.telegram.bot_messages(anna.telegram_id)[-1]["text"]


async def test_points_without_a_fresh_qr_wait_for_the_members_confirmation(harness, api, anna):
    token, _ = await make_key(harness)
    await give_points(harness, anna, 500)
    _, found, _ = await api.get("/v1/members/lookup", key=token, code=anna.short_code)
    status, body, _ = await api.write(
        "/v1/purchases",
        purchase(anna, 100_000, points=100, lookup_id=found["lookup_id"]),
        key=token,
    )
    assert status == 202 and body["operation"]["status"] == "awaiting"
    assert body["balance"] == 500
    await api.settle()
    ask = harness.telegram.bot_messages(anna.telegram_id)[-1]
    assert "100" in ask["text"] and len(ask["reply_markup"]["inline_keyboard"][0]) == 2


async def test_an_amount_above_the_programs_maximum_is_refused(harness, api, anna):
    token, _ = await make_key(harness)
    maximum = harness.app.program.limits.max_purchase_amount
    status, body, response = await api.write(
        "/v1/purchases", purchase(anna, maximum + 1), key=token
    )
    assert_problem(status, body, response, 422, "amount-out-of-range")
    assert body["maximum"] == maximum
    status, body, response = await api.write(
        "/v1/purchases", {**purchase(anna), "member_id": 424242}, key=token
    )
    assert_problem(status, body, response, 404, "member-not-found")


async def test_a_purchase_over_a_fraud_limit_is_held_and_owners_are_asked(harness, api, anna):
    token, _ = await make_key(harness, "Till 1")
    amount = harness.app.program.limits.confirm_purchase_above + 100
    status, body, _ = await api.write("/v1/purchases", purchase(anna, amount), key=token)
    assert status == 202 and body["operation"]["status"] == "held"
    assert body["operation"]["hold_reason"] == "big_amount" and body["balance"] == 0
    await api.settle()
    told = harness.telegram.bot_messages(OWNER_ID)[-1]
    assert "🔑 Till 1" in told["text"]
    labels = [button["text"] for row in told["reply_markup"]["inline_keyboard"] for button in row]
    assert len(labels) == 2  # approve, decline
    status, held, _ = await api.get(f"/v1/operations/{body['operation']['id']}", key=token)
    assert status == 200 and held["status"] == "held"


async def test_the_hourly_limit_counts_each_key_on_its_own(harness, api, anna):
    limits = harness.app.program.limits.model_copy(update={"operations_per_staff_per_hour": 2})
    api.ctx.program = harness.app.program.model_copy(update={"limits": limits})
    boris = await join(harness, harness.user(2, "Boris", "en"))
    first, _ = await make_key(harness, "Till 1")
    second, _ = await make_key(harness, "Till 2")
    statuses = [
        (await api.write("/v1/purchases", purchase(member), key=key))[1]["operation"]["status"]
        for key, member in [(first, anna), (first, boris), (second, anna), (first, boris)]
    ]
    assert statuses == ["done", "done", "done", "held"]


# --------------------------------------------------------------------------------- rewards


async def test_the_stamp_reward_once_the_card_is_full(harness, api, anna):
    token, _ = await make_key(harness)
    status, body, response = await api.write("/v1/rewards", {"member_id": anna.id}, key=token)
    assert_problem(status, body, response, 409, "no-reward-due")
    async with harness.app.pool() as session, session.begin():
        await session.execute(update(Member).where(Member.id == anna.id).values(stamps=6))
    status, body, _ = await api.write("/v1/rewards", {"member_id": anna.id}, key=token)
    assert status == 201 and body["operation"]["kind"] == "reward" and body["stamps"] == 1
    await api.settle()
    assert "кофе" in harness.telegram.bot_messages(anna.telegram_id)[-1]["text"]


# ---------------------------------------------------------------------------------- cancel


async def test_a_key_cancels_its_own_operations_within_the_window(harness, api, anna):
    token, _ = await make_key(harness)
    other, _ = await make_key(harness, "Till 2")
    _, sale, _ = await api.write("/v1/purchases", purchase(anna), key=token)
    op = sale["operation"]["id"]

    status, body, response = await api.write(f"/v1/operations/{op}/cancel", None, key=other)
    assert_problem(status, body, response, 403, "operation-not-yours")
    status, body, response = await api.write("/v1/operations/99999/cancel", {}, key=token)
    assert_problem(status, body, response, 404, "operation-not-found")

    status, body, _ = await api.write(f"/v1/operations/{op}/cancel", None, key=token)
    assert status == 200, body
    assert body["operation"]["status"] == "cancelled" and body["balance"] == 0
    assert body["stamps"] == 0 and body["operation"]["cancelled_at"]
    await api.settle()
    assert f"№{op} отменена" in harness.telegram.bot_messages(anna.telegram_id)[-1]["text"]
    messages = len(harness.telegram.bot_messages(anna.telegram_id))
    # Cancelling again, even with another Idempotency-Key, changes nothing and tells nobody.
    status, again, _ = await api.write(f"/v1/operations/{op}/cancel", {}, key=token)
    assert status == 200 and again["operation"]["status"] == "cancelled"
    await api.settle()
    assert len(harness.telegram.bot_messages(anna.telegram_id)) == messages
    assert await count(harness, LedgerEntry) == 2  # the earning and its reversal

    _, late, _ = await api.write("/v1/purchases", purchase(anna), key=token)
    harness.clock.advance(timedelta(minutes=16))
    status, body, response = await api.write(
        f"/v1/operations/{late['operation']['id']}/cancel", {}, key=token
    )
    assert_problem(status, body, response, 409, "cancel-window-passed")


async def test_operations_made_in_the_bot_are_not_the_keys(harness, api, anna):
    token, _ = await make_key(harness)
    async with harness.app.pool() as session, session.begin():
        staff_op = Operation(
            member_id=anna.id,
            staff_id=OWNER_ID,
            kind="purchase",
            status="done",
            amount=100,
            idempotency_key="tg:1:1",
            created_at=NOW,
        )
        session.add(staff_op)
    status, body, response = await api.write(f"/v1/operations/{staff_op.id}/cancel", {}, key=token)
    assert_problem(status, body, response, 403, "operation-not-yours")
    status, body, response = await api.get(f"/v1/operations/{staff_op.id}", key=token)
    assert_problem(status, body, response, 403, "operation-not-yours")


def test_keys_and_idempotency_are_domain_code_free_of_web_frameworks():
    import ast
    from pathlib import Path

    import bot.services.api_keys as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    assert imported.isdisjoint({"aiogram", "aiohttp", "handlers"})
