"""Thin aiogram routers: parse the input, call a service, answer from `locales/`."""

from __future__ import annotations

from aiogram import Router

from handlers import fallback
from handlers.customer import balance, card, guide, receipts, settings, start
from handlers.staff import owner, serve


def build_router() -> Router:
    """A fresh tree of routers: a router can be attached to one Dispatcher only."""
    root = Router(name="root")
    root.include_routers(
        owner.invites_router(),  # before /start: an invitation link is not a customer's start
        serve.router(),  # before /start: a member's QR opened by staff is not a customer's start
        owner.router(),
        start.router(),
        receipts.router(),
        card.router(),
        balance.router(),
        settings.router(),
        guide.router(),
        fallback.router(),  # last: it answers everything the others did not take
    )
    return root
