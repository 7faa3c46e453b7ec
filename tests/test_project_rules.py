"""Rules of the codebase that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.i18n import Translator

ROOT = Path(__file__).resolve().parent.parent


def test_domain_services_do_not_import_aiogram():
    offenders = []
    for path in (ROOT / "bot" / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {name}" for name in names if name.split(".")[0] == "aiogram"
            ]
    assert offenders == []


def test_every_locale_has_the_same_messages():
    translator = Translator()
    ru, en = translator.message_ids("ru"), translator.message_ids("en")
    assert ru - en == set() and en - ru == set()


def test_every_message_id_used_in_code_exists():
    translator = Translator()
    known = translator.message_ids("ru")
    used: set[str] = set()
    call = re.compile(
        r"""(?:i18n(?:\.plain)?|translator\.get\([^,]+,)\(?\s*f?["']([a-z][a-z0-9-]+)["']"""
    )
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(call.findall(path.read_text(encoding="utf-8")))
    assert used, "the pattern found no message ids at all"
    missing = {key for key in used if key not in known and not key.endswith("-")}
    assert missing == set()


def test_russian_plurals_read_right():
    translator = Translator()
    forms = {
        n: translator.get("ru", "card-points", points=n) for n in (1, 2, 5, 11, 21, 22, 25, 111)
    }
    assert forms == {
        1: "балл",
        2: "балла",
        5: "баллов",
        11: "баллов",
        21: "балл",
        22: "балла",
        25: "баллов",
        111: "баллов",
    }


def test_composed_message_ids_exist():
    from bot.commands import ALL as COMMANDS
    from bot.services.ledger import EntryKind

    translator = Translator()
    for locale in translator.locales:
        for kind in EntryKind:
            assert translator.has(locale, f"kind-{kind.value}")
        for command in COMMANDS:
            assert translator.has(locale, f"cmd-{command}")
