"""Answer the person politely, with a short error id the owner can find in the logs."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from aiogram import Bot
from aiogram.types import ErrorEvent

from bot.i18n import Translator

log = logging.getLogger("bot.errors")


async def on_error(event: ErrorEvent, bot: Bot, translator: Translator) -> bool:
    error_id = secrets.token_hex(4)
    log.error(
        "error %s while handling update %s",
        error_id,
        event.update.update_id,
        exc_info=(type(event.exception), event.exception, event.exception.__traceback__),
    )
    user = _user(event)
    if user is None:
        return True
    locale = translator.resolve(getattr(user, "language_code", None))
    text = translator.get(locale, "error-generic", error_id=error_id)
    try:
        if event.update.callback_query is not None:
            await event.update.callback_query.answer(text[:200], show_alert=True)
        else:
            await bot.send_message(user.id, text)
    except Exception:  # noqa: BLE001 - the apology itself must never raise
        log.warning("could not tell user about error %s", error_id)
    return True


def _user(event: ErrorEvent) -> Any:
    update = event.update
    for item in (update.message, update.callback_query, update.edited_message):
        if item is not None and item.from_user is not None:
            return item.from_user
    return None
