"""Thin aiogram routers: parse the input, call a service, answer from `locales/`."""

from __future__ import annotations

from aiogram import Router

from handlers import fallback, marketer
from handlers.customer import (
    balance,
    birthday,
    card,
    guide,
    privacy,
    quizzes,
    reachability,
    receipts,
    referrals,
    settings,
    start,
    unsubscribe,
)
from handlers.marketer import broadcasts as marketer_broadcasts
from handlers.marketer import stats as marketer_stats
from handlers.staff import apikeys as owner_apikeys
from handlers.staff import jobs, owner, serve
from handlers.staff import locations as owner_locations
from handlers.staff import webhooks as owner_webhooks


def build_router() -> Router:
    """A fresh tree of routers: a router can be attached to one Dispatcher only."""
    root = Router(name="root")
    root.include_routers(
        owner.invites_router(),  # before /start: an invitation link is not a customer's start
        # Before staff mode: a photo sent while composing a broadcast is not a QR to scan.
        marketer_broadcasts.router(),
        serve.router(),  # before /start: a member's QR opened by staff is not a customer's start
        owner.router(),
        referrals.router(),  # before /start: a friend's invitation link carries a code
        start.router(),
        receipts.router(),
        card.router(),
        balance.router(),
        settings.router(),
        unsubscribe.router(),
        guide.router(),
        privacy.router(),  # /mydata and /delete: before the free-text steps and the fallback
        jobs.router(),
        jobs.coupons_router(),
        reachability.router(),
        birthday.router(),  # after the menus: a menu button typed mid-flow still works
        owner_locations.router(),  # after the menus too: a location's name is free text
        owner_webhooks.router(),  # after the menus too: an address is free text
        owner_apikeys.router(),  # after the menus too: a key's name is free text
        quizzes.router(),
        marketer.router(),  # after the menus, like birthday: its steps take free text
        marketer_stats.router(),
        fallback.router(),  # last: it answers everything the others did not take
    )
    return root
