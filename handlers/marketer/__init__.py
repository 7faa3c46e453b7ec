"""Marketers (and owners): quizzes. Every handler below is gated here, in one place."""

from __future__ import annotations

from aiogram import Router

from bot.middlewares.roles import RoleGate
from bot.services.team import Role
from handlers.marketer import quizzes


def router() -> Router:
    router = Router(name="marketer")
    gate = RoleGate(Role.OWNER, Role.MARKETER)
    router.message.middleware(gate)
    router.callback_query.middleware(gate)
    router.include_router(quizzes.router())
    return router
