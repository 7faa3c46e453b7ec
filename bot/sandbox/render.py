"""Telegram messages as the sandbox page shows them: formatted text, media, buttons.

The text is rendered from the message's entities, as a Telegram client does, into HTML that
holds only Telegram's own tags (b, i, u, s, code, pre, a, blockquote, tg-spoiler); everything
else in the text is escaped. Links keep only http(s) and tg addresses.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

_TAGS = {
    "bold": "b",
    "italic": "i",
    "underline": "u",
    "strikethrough": "s",
    "code": "code",
    "pre": "pre",
    "text_link": "a",
    "url": "a",
    "blockquote": "blockquote",
    "expandable_blockquote": "blockquote",
    "spoiler": "tg-spoiler",
}
_SAFE_LINK = re.compile(r"^(?:https?://|tg://)", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
_MEDIA = ("video", "animation", "audio", "voice", "sticker", "video_note")


def _utf16_units(text: str) -> list[int]:
    """For each character, how many UTF-16 code units it takes (entity offsets count those)."""
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def _open_tag(entity: dict[str, Any], text: str) -> str:
    tag = _TAGS[entity["type"]]
    if tag != "a":
        return f"<{tag}>"
    url = entity.get("url") if entity["type"] == "text_link" else text
    if not url or not _SAFE_LINK.match(url):
        return "<a>"
    return f'<a href="{html.escape(url, quote=True)}">'


def _plain(text: str) -> str:
    """Escape plain text and make bare web addresses links, as Telegram clients do."""
    parts, last = [], 0
    for match in _BARE_URL.finditer(text):
        parts.append(html.escape(text[last : match.start()], quote=False))
        url = html.escape(match.group(0), quote=True)
        parts.append(f'<a href="{url}">{html.escape(match.group(0), quote=False)}</a>')
        last = match.end()
    parts.append(html.escape(text[last:], quote=False))
    return "".join(parts)


def entities_to_html(text: str, entities: list[dict[str, Any]] | None) -> str:
    """Safe HTML for a text and its entities (offsets and lengths in UTF-16 code units)."""
    spans = [
        entity
        for entity in entities or ()
        if entity.get("type") in _TAGS and entity.get("length", 0) > 0
    ]
    if not spans:
        return _plain(text)
    units = _utf16_units(text)
    starts: dict[int, int] = {}  # UTF-16 position -> character index
    position = 0
    for index, width in enumerate(units):
        starts[position] = index
        position += width
    starts[position] = len(text)

    def char_index(unit: int) -> int:
        while unit not in starts and unit > 0:
            unit -= 1
        return starts.get(unit, 0)

    marks = sorted(
        (
            (char_index(item["offset"]), char_index(item["offset"] + item["length"]), item)
            for item in spans
        ),
        key=lambda mark: (mark[0], -mark[1]),
    )
    boundaries = sorted({0, len(text), *(m[0] for m in marks), *(m[1] for m in marks)})
    out: list[str] = []
    stack: list[tuple[int, int, dict[str, Any]]] = []
    pending = list(marks)
    for here, following in zip(boundaries, boundaries[1:] + [None], strict=True):
        # Close what ends here; an entity that overlaps without nesting is closed and reopened.
        reopen = []
        while any(mark[1] <= here for mark in stack):
            mark = stack.pop()
            out.append(f"</{_TAGS[mark[2]['type']]}>")
            if mark[1] > here:
                reopen.append(mark)
        for mark in reversed(reopen):
            out.append(_open_tag(mark[2], text[mark[0] : mark[1]]))
            stack.append(mark)
        while pending and pending[0][0] == here:
            mark = pending.pop(0)
            if mark[1] > here:
                out.append(_open_tag(mark[2], text[mark[0] : mark[1]]))
                stack.append(mark)
        if following is not None:
            segment = text[here:following]
            literal = any(_TAGS[mark[2]["type"]] in ("a", "code", "pre") for mark in stack)
            out.append(html.escape(segment, quote=False) if literal else _plain(segment))
    out.extend(f"</{_TAGS[mark[2]['type']]}>" for mark in reversed(stack))
    return "".join(out)


def _largest(photo: list[dict[str, Any]]) -> dict[str, Any]:
    return max(photo, key=lambda size: size.get("width", 0) * size.get("height", 0))


def _buttons(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]]:
    rows = []
    for row in (markup or {}).get("inline_keyboard") or []:
        shown = []
        for button in row:
            item: dict[str, Any] = {"text": button.get("text", "")}
            if button.get("callback_data") is not None:
                item["data"] = button["callback_data"]
            elif button.get("url"):
                item["url"] = button["url"]
            shown.append(item)
        rows.append(shown)
    return rows


def message_view(message: dict[str, Any], bot_id: int, tz: tzinfo) -> dict[str, Any]:
    """One message as JSON for the page."""
    moment = datetime.fromtimestamp(message["date"], UTC).astimezone(tz)
    view: dict[str, Any] = {
        "id": message["message_id"],
        "out": message["from"]["id"] != bot_id,
        "time": moment.strftime("%H:%M"),
        "day": moment.strftime("%d.%m.%Y"),
        "edited": "edit_date" in message,
        "html": "",
        "buttons": _buttons(message.get("reply_markup")),
    }
    if "text" in message:
        view["html"] = entities_to_html(message["text"], message.get("entities"))
    elif "caption" in message:
        view["html"] = entities_to_html(message["caption"], message.get("caption_entities"))
    if message.get("photo"):
        largest = _largest(message["photo"])
        view["photo"] = {
            "url": f"/files/{largest['file_id']}",
            "width": largest.get("width", 0),
            "height": largest.get("height", 0),
        }
    if message.get("document"):
        document = message["document"]
        view["document"] = {
            "url": f"/files/{document['file_id']}?download=1",
            "name": document.get("file_name") or "file",
            "size": document.get("file_size", 0),
        }
    for kind in _MEDIA:
        if message.get(kind):
            view["document"] = {
                "url": f"/files/{message[kind]['file_id']}?download=1",
                "name": message[kind].get("file_name") or kind,
                "size": message[kind].get("file_size", 0),
            }
    if message.get("contact"):
        contact = message["contact"]
        view["contact"] = {
            "phone": contact.get("phone_number", ""),
            "name": " ".join(
                part for part in (contact.get("first_name"), contact.get("last_name")) if part
            ),
        }
    return view


def keyboard_view(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """The reply keyboard under the input field, or None when the chat has none."""
    if not markup or not markup.get("keyboard"):
        return None
    rows = [
        [
            {
                "text": button if isinstance(button, str) else button.get("text", ""),
                "contact": bool(not isinstance(button, str) and button.get("request_contact")),
            }
            for button in row
        ]
        for row in markup["keyboard"]
    ]
    return {
        "rows": rows,
        "placeholder": markup.get("input_field_placeholder") or "",
        "one_time": bool(markup.get("one_time_keyboard")),
    }
