"""Fluent translations: every user-visible string comes from `locales/<locale>/*.ftl`.

Free of aiogram, so scheduled jobs and any future HTTP API render messages the same way.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fluent.runtime import FluentBundle, FluentResource

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"


class Translator:
    def __init__(self, root: Path = LOCALES_DIR, default_locale: str = "ru") -> None:
        self.default_locale = default_locale
        self._bundles: dict[str, FluentBundle] = {}
        for folder in sorted(path for path in root.iterdir() if path.is_dir()):
            bundle = FluentBundle([folder.name], use_isolating=False)
            for file in sorted(folder.glob("*.ftl")):
                resource = FluentResource(file.read_text(encoding="utf-8"))
                errors = bundle.add_resource(resource)
                if errors:
                    raise ValueError(f"{file}: {errors}")
            self._bundles[folder.name] = bundle
        if default_locale not in self._bundles:
            raise ValueError(f"no locale folder for the default locale {default_locale!r}")

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self._bundles)

    def resolve(self, *candidates: str | None) -> str:
        """The first supported locale among the candidates (`en-US` counts as `en`)."""
        for candidate in candidates:
            if candidate:
                short = candidate.split("-")[0].lower()
                if short in self._bundles:
                    return short
        return self.default_locale

    def has(self, locale: str, key: str) -> bool:
        return self._bundles[locale].has_message(key)

    def message_ids(self, locale: str) -> set[str]:
        return set(self._bundles[locale]._messages)  # noqa: SLF001 - fluent has no public listing

    def get(self, locale: str, key: str, /, **args: Any) -> str:
        bundle = self._bundles.get(locale) or self._bundles[self.default_locale]
        if not bundle.has_message(key):
            log.error("missing translation %s for %s", key, locale)
            return key
        message = bundle.get_message(key)
        if message.value is None:
            log.error("translation %s has no value in %s", key, locale)
            return key
        text, errors = bundle.format_pattern(message.value, args)
        if errors:
            log.error("translation %s in %s: %s", key, locale, errors)
        return text

    def variants(self, key: str) -> frozenset[str]:
        """The message in every locale: to recognise a reply-keyboard button in any language."""
        return frozenset(self.get(locale, key) for locale in self._bundles)

    def bind(self, locale: str) -> I18n:
        return I18n(self, locale)


class I18n:
    """A translator bound to one person's language. String arguments are HTML-escaped,
    because every message the bot sends is HTML; pass `Raw` for prepared markup."""

    __slots__ = ("locale", "translator")

    def __init__(self, translator: Translator, locale: str) -> None:
        self.translator = translator
        self.locale = locale

    def __call__(self, key: str, /, **args: Any) -> str:
        safe = {
            name: (value.markup if isinstance(value, Raw) else html.escape(value, quote=False))
            if isinstance(value, (str, Raw))
            else value
            for name, value in args.items()
        }
        return self.translator.get(self.locale, key, **safe)

    def plain(self, key: str, /, **args: Any) -> str:
        """Without escaping: for captions of images, button labels and other non-HTML text."""
        return self.translator.get(self.locale, key, **args)


class Raw:
    """Markup that is already safe HTML."""

    __slots__ = ("markup",)

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def __str__(self) -> str:
        return self.markup


def join_lines(lines: Iterable[str]) -> str:
    return "\n".join(line for line in lines if line)
