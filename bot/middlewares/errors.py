"""Answer the person politely, with a short error id the owner can find in the logs; tell the
owners' alert chat (`ALERT_CHAT_ID`) the same id and a summary of the traceback."""

from __future__ import annotations

import html
import logging
import secrets
import traceback
from typing import Any

from aiogram import Bot
from aiogram.types import ErrorEvent

from bot.config import Settings
from bot.i18n import Translator
from bot.middlewares.logging import update_type
from bot.observability import redact

log = logging.getLogger("bot.errors")


ALERT_FRAMES = 6  # the innermost frames of the traceback that go to the alert chat


async def on_error(
    event: ErrorEvent, bot: Bot, translator: Translator, settings: Settings | None = None
) -> bool:
    error_id = secrets.token_hex(4)
    log.error(
        "error %s while handling update %s",
        error_id,
        event.update.update_id,
        exc_info=(type(event.exception), event.exception, event.exception.__traceback__),
    )
    if settings is not None and settings.alert_chat_id is not None:
        await _alert(bot, settings, event, error_id)
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


async def _alert(bot: Bot, settings: Settings, event: ErrorEvent, error_id: str) -> None:
    """The id, the update, and where it failed; without the token or phone numbers."""
    assert settings.alert_chat_id is not None
    error = event.exception
    frames = traceback.extract_tb(error.__traceback__)[-ALERT_FRAMES:]
    where = "\n".join(
        f"{'/'.join(frame.filename.rsplit('/', 2)[-2:])}:{frame.lineno} in {frame.name}"
        for frame in frames
    )
    summary = redact(
        f"{type(error).__name__}: {error}\n{where}", (settings.bot_token.get_secret_value(),)
    )
    update = event.update
    text = (
        f"⚠️ <b>Error {error_id}</b> · update {update.update_id} ({update_type(update)})\n"
        f"<pre>{html.escape(summary[:3500])}</pre>"
    )
    try:
        await bot.send_message(settings.alert_chat_id, text)
    except Exception:  # noqa: BLE001 - an alert that cannot be sent is logged, never raised
        log.warning("could not send the alert about error %s", error_id)


def _user(event: ErrorEvent) -> Any:
    update = event.update
    for item in (update.message, update.callback_query, update.edited_message):
        if item is not None and item.from_user is not None:
            return item.from_user
    return None
