"""Quizzes: files with line-numbered problems, the chat flow for marketers, answering with
stale and repeated buttons, scores and points paid once, in both languages."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.i18n import Translator
from bot.services import achievements, ledger, members, quizzes
from bot.services.program import Program
from bot.services.quizzes import AnswerStatus, Problem, QuizDraft, QuizError, QuizState
from bot.services.referrals import Refusal
from db.models import Achievement, LedgerEntry, Member, QuizAnswer, QuizAttempt
from handlers.marketer.quizzes import problem_text
from tests.harness import OWNER_ID, button_data, buttons, make_harness, texts

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
TODAY = date(2026, 11, 23)
MOSCOW = ZoneInfo("Europe/Moscow")
PROGRAM = Program()

QUIZ_YAML = """\
title: Coffee quiz
points_per_correct: 10
completion_bonus: 20
starts: 2026-11-23
ends: 30.11.2026
questions:
  - question: Where was coffee first drunk?
    options: [Ethiopia, Brazil, Vietnam]
    correct: 1
  - question: Which drink has the most milk?
    options:
      - Espresso
      - Latte
    correct: Latte
"""

QUIZ_JSON = {
    "title": "Coffee quiz",
    "points_per_correct": 10,
    "completion_bonus": 20,
    "starts": "2026-11-23",
    "ends": "2026-11-30",
    "questions": [
        {
            "question": "Where was coffee first drunk?",
            "options": ["Ethiopia", "Brazil", "Vietnam"],
            "correct": 1,
        },
        {
            "question": "Which drink has the most milk?",
            "options": ["Espresso", "Latte"],
            "correct": 2,
        },
    ],
}


def draft() -> QuizDraft:
    parsed = quizzes.parse_document(QUIZ_YAML.encode(), "quiz.yaml", today=TODAY)
    assert isinstance(parsed, QuizDraft)
    return parsed


def problems(text: str, name: str = "quiz.yaml") -> list[tuple[str, int | None]]:
    found = quizzes.parse_document(text.encode(), name, today=TODAY)
    assert isinstance(found, list), found
    return [(problem.code, problem.line) for problem in found]


async def new_member(pool, telegram_id: int = 1) -> int:
    async with pool() as session, session.begin():
        joined = await members.join(
            session, members.Applicant(telegram_id, "Ivan", "", None, "ru"), now=NOW, tier="base"
        )
        return joined.member.id


async def published_quiz(pool, quiz: QuizDraft | None = None) -> int:
    async with pool() as session, session.begin():
        created = await quizzes.create(
            session, quiz or draft(), created_by=OWNER_ID, tz=MOSCOW, now=NOW
        )
        await quizzes.publish(session, created.id, now=NOW)
        return created.id


async def begin(pool, quiz_id: int, member_id: int, now: datetime = NOW):
    async with pool() as session, session.begin():
        return await quizzes.begin(session, quiz_id, member_id, now=now)


async def answer(pool, step, option: int, *, member_id: int, question_id=None, now=NOW):
    async with pool() as session, session.begin():
        return await quizzes.answer(
            session,
            PROGRAM,
            member_id=member_id,
            attempt_id=step.attempt_id,
            question_id=question_id or step.question.id,
            option=option,
            now=now,
        )


async def balance(pool, member_id: int) -> int:
    async with pool() as session:
        return await ledger.balance(session, member_id)


# ---- files -------------------------------------------------------------------------------------


def test_yaml_and_json_files_make_the_same_draft():
    from_yaml = draft()
    from_json = quizzes.parse_document(
        json.dumps(QUIZ_JSON, indent="\t").encode(), "Quiz.JSON", today=TODAY
    )
    assert from_json == from_yaml
    assert from_yaml.title == "Coffee quiz" and from_yaml.points_per_correct == 10
    assert (from_yaml.starts_on, from_yaml.ends_on) == (date(2026, 11, 23), date(2026, 11, 30))
    assert [question.correct for question in from_yaml.questions] == [0, 1]
    assert from_yaml.questions[0].options == ("Ethiopia", "Brazil", "Vietnam")


def test_every_problem_in_a_file_is_named_with_its_line():
    text = """\
title: Coffee quiz
points_per_correct: ten
starts: 2026-11-23
ends: 2026-11-20
questions:
  - question: Where?
    options: [Ethiopia]
    correct: 1
  - options: [a, b]
    correct: 1
    colour: red
  - question: Which?
    options: [a, b, A]
    correct: 1
  - question: What?
    options: [a, b]
    correct: 3
  - just text
extra: 1
"""
    assert problems(text) == [
        ("number", 2),
        ("dates-order", 4),
        ("options", 7),
        ("missing", 9),
        ("unknown-key", 11),
        ("options-repeat", 13),
        ("correct", 17),
        ("question-mapping", 18),
        ("unknown-key", 19),
    ]


def test_the_problem_reads_as_line_and_reason_in_both_languages():
    text = """\
title: Coffee quiz
points_per_correct: 10
starts: 2026-11-23
ends: 2026-11-30
questions:
  - {question: "Where?", options: [a, b], correct: 1}
  - {question: "Which?", options: [a], correct: 1}
"""
    [problem] = quizzes.parse_document(text.encode(), "quiz.yml", today=TODAY)
    translator = Translator()
    assert problem_text(translator.bind("en"), problem) == (
        "line 7: question 2 needs 2–6 options."
    )
    assert problem_text(translator.bind("ru"), problem) == (
        "строка 7: вопросу 2 нужно от 2 до 6 вариантов ответа."
    )


def test_json_problems_have_lines_too():
    quiz = copy.deepcopy(QUIZ_JSON)
    quiz["questions"][1]["options"] = ["Latte"]
    quiz["points_per_correct"] = True
    text = json.dumps(quiz, indent=2)
    found = problems(text, "quiz.json")
    lines = text.splitlines()
    assert found == [
        ("number", next(i for i, line in enumerate(lines, 1) if "points_per" in line)),
        ("options", next(i for i, line in enumerate(lines, 1) if '"Latte"' in line) - 1),
    ]


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ('title: "Coffee\nquestions: [', "quiz.yaml", [("syntax", 2)]),
        ("title: x\n  bad: [1", "quiz.yml", [("syntax", 2)]),
        ('{"title": "x",\n "questions": }', "quiz.json", [("syntax", 2)]),
        ("- just\n- a list", "quiz.yaml", [("not-mapping", 1)]),
        ("", "quiz.yaml", [("not-mapping", 1)]),
        ("title: x", "quiz.txt", [("file-type", None)]),
    ],
)
def test_broken_files_are_refused_with_where(text, name, expected):
    assert problems(text, name) == expected


def test_files_that_are_too_big_or_not_text_are_refused():
    big = b"# " + b"x" * quizzes.FILE_MAX_BYTES
    assert quizzes.parse_document(big, "q.yaml", today=TODAY) == [
        Problem("file-size", None, {"kb": 256})
    ]
    assert quizzes.parse_document(b"\xff\xfe\x00", "q.yaml", today=TODAY) == [Problem("encoding")]


@pytest.mark.parametrize(
    ("starts", "ends", "code"),
    [
        ("2026-11-23", "2026-13-45", "date"),
        ("tomorrow", "2026-11-30", "date"),
        ("2026-11-01", "2026-11-20", "ends-past"),
        ("2026-11-23", "2028-01-01", "too-long"),
    ],
)
def test_dates_are_checked(starts, ends, code):
    text = QUIZ_YAML.replace("starts: 2026-11-23", f"starts: {starts}").replace(
        "ends: 30.11.2026", f"ends: {ends}"
    )
    assert [found for found, _line in problems(text)] == [code]


def test_what_marketers_type_is_checked_step_by_step():
    assert quizzes.parse_title("  Coffee   quiz ") == "Coffee quiz"
    assert quizzes.parse_title("x" * 101) == Problem("title", None, {"max": 100})
    assert quizzes.parse_date("01.12.2026") == date(2026, 12, 1)
    assert quizzes.parse_date("2026-12-01") == date(2026, 12, 1)
    assert quizzes.parse_date("1 December") is None
    assert quizzes.parse_whole(" 1 000 ", key="k", low=0, high=10_000) == 1000
    assert isinstance(quizzes.parse_whole("-5", key="k", low=0, high=10), Problem)
    assert quizzes.parse_options("Latte\n\n  Espresso \n", number=1) == ("Latte", "Espresso")
    assert quizzes.parse_options("Latte", number=3).code == "options"
    assert quizzes.parse_options("\n".join("abcdefg"), number=3).code == "options"
    assert quizzes.parse_options("Latte\nlatte", number=3).code == "options-repeat"
    assert quizzes.parse_options("a\n" + "b" * 41, number=3).code == "option-text"


def test_every_composed_message_exists_in_both_languages():
    source = (Path(quizzes.__file__)).read_text(encoding="utf-8")
    codes = set(re.findall(r'Problem\(\s*"([a-z-]+)"', source))
    assert {"options", "correct", "syntax", "file-size", "dates-order"} <= codes
    wanted = {f"quiz-problem-{code}" for code in codes}
    wanted |= {f"quiz-state-{state.value}" for state in QuizState}
    wanted |= {f"quiz-unavailable-{reason}" for reason in ("unknown", "closed", "not-started")}
    wanted |= {f"quiz-error-{reason}" for reason in ("unknown", "closed", "ended")}
    wanted |= {f"referral-refused-{refusal.value}" for refusal in Refusal}
    wanted |= {f"achievement-{badge.value.replace('_', '-')}" for badge in achievements.Badge}
    translator = Translator()
    for locale in translator.locales:
        assert {key for key in wanted if not translator.has(locale, key)} == set()


# ---- running a quiz ----------------------------------------------------------------------------


async def test_a_quiz_is_a_draft_until_published_and_open_within_its_days(pool):
    async with pool() as session, session.begin():
        quiz = await quizzes.create(session, draft(), created_by=1, tz=MOSCOW, now=NOW)
        assert quizzes.state(quiz, NOW) is QuizState.DRAFT
        # Midnight in Moscow on the first day, midnight after the last one.
        assert quiz.starts_at == datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
        assert quiz.ends_at == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
        assert await quizzes.announcement(session, quiz.id) is None
        _, changed = await quizzes.publish(session, quiz.id, now=NOW)
        assert changed and quizzes.state(quiz, NOW) is QuizState.OPEN
        assert (await quizzes.publish(session, quiz.id, now=NOW))[1] is False
        assert quizzes.state(quiz, quiz.starts_at - timedelta(seconds=1)) is QuizState.SCHEDULED
        assert quizzes.state(quiz, quiz.ends_at) is QuizState.ENDED
        await quizzes.close(session, quiz.id, now=NOW)
        assert quizzes.state(quiz, NOW) is QuizState.CLOSED
        with pytest.raises(QuizError, match="closed"):
            await quizzes.publish(session, quiz.id, now=NOW)
        late = await quizzes.create(session, draft(), created_by=1, tz=MOSCOW, now=NOW)
        with pytest.raises(QuizError, match="ended"):
            await quizzes.publish(session, late.id, now=NOW + timedelta(days=30))
        summaries = await quizzes.summaries(session, now=NOW)
    assert [summary.state for summary in summaries] == [QuizState.DRAFT, QuizState.CLOSED]


async def test_a_member_answers_one_by_one_and_is_paid_once(pool):
    member = await new_member(pool)
    quiz_id = await published_quiz(pool)
    first = await begin(pool, quiz_id, member)
    assert (first.number, first.total, first.question.position) == (1, 2, 1)
    right = await answer(pool, first, 0, member_id=member)
    assert right.status is AnswerStatus.ACCEPTED and right.correct
    second = right.next
    assert (second.number, second.question.position) == (2, 2)
    wrong = await answer(pool, second, 0, member_id=member)
    assert wrong.status is AnswerStatus.ACCEPTED and not wrong.correct
    result = wrong.next.result
    assert (result.correct, result.total, result.points, result.bonus) == (1, 2, 30, 20)
    assert result.new_badges == (achievements.Badge.FIRST_QUIZ,)
    assert await balance(pool, member) == 30

    again = await answer(pool, second, 1, member_id=member)  # a stale button, another option
    assert again.status is AnswerStatus.REPEATED and again.next.result.points == 30
    restarted = await begin(pool, quiz_id, member)
    assert restarted.question is None and restarted.result.correct == 1
    assert await balance(pool, member) == 30
    async with pool() as session:
        [entry] = await session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == member))
        assert entry.reason == "🎯 Coffee quiz" and entry.kind == "bonus"
        assert entry.idempotency_key == f"quiz:{first.attempt_id}"
        [listing] = await quizzes.open_for_member(session, member, now=NOW)
        assert listing.finished and (listing.correct, listing.points) == (1, 30)


async def test_restarting_midway_picks_up_the_same_attempt(pool):
    member = await new_member(pool)
    quiz_id = await published_quiz(pool)
    first = await begin(pool, quiz_id, member)
    await answer(pool, first, 0, member_id=member)
    resumed = await begin(pool, quiz_id, member)
    assert resumed.attempt_id == first.attempt_id and resumed.number == 2
    async with pool() as session:
        [listing] = await quizzes.open_for_member(session, member, now=NOW)
        assert (listing.answered, listing.finished) == (1, False)
        assert await session.scalar(select(func.count()).select_from(QuizAttempt)) == 1


async def test_foreign_wrong_and_late_buttons_change_nothing(pool):
    ivan, olga = await new_member(pool, 1), await new_member(pool, 2)
    quiz_id = await published_quiz(pool)
    other_quiz = await published_quiz(pool)
    step = await begin(pool, quiz_id, ivan)
    foreign = await answer(pool, step, 0, member_id=olga)
    assert foreign.status is AnswerStatus.STALE
    elsewhere = (await begin(pool, other_quiz, ivan)).question.id
    assert (
        await answer(pool, step, 0, member_id=ivan, question_id=elsewhere)
    ).status is AnswerStatus.STALE
    assert (await answer(pool, step, 7, member_id=ivan)).status is AnswerStatus.STALE
    late = await answer(pool, step, 0, member_id=ivan, now=NOW + timedelta(days=8))
    assert late.status is AnswerStatus.CLOSED
    async with pool() as session, session.begin():
        assert await session.scalar(select(func.count()).select_from(QuizAnswer)) == 0
        await quizzes.close(session, quiz_id, now=NOW)
    assert (await answer(pool, step, 0, member_id=ivan)).status is AnswerStatus.CLOSED
    with pytest.raises(QuizError, match="closed"):
        await begin(pool, quiz_id, olga)
    with pytest.raises(QuizError, match="not-started"):
        await begin(pool, other_quiz, olga, now=NOW - timedelta(days=1))


async def test_double_taps_count_one_answer_and_pay_once(pool):
    member = await new_member(pool)
    one_question = QuizDraft(
        title="Quick",
        points_per_correct=5,
        completion_bonus=1,
        starts_on=TODAY,
        ends_on=TODAY,
        questions=draft().questions[:1],
    )
    quiz_id = await published_quiz(pool, one_question)
    step = await begin(pool, quiz_id, member)
    results = await asyncio.gather(
        *(answer(pool, step, option, member_id=member) for option in (0, 0, 1, 0))
    )
    assert [r.status for r in results].count(AnswerStatus.ACCEPTED) == 1
    assert await balance(pool, member) in (6, 1)
    async with pool() as session:
        assert await session.scalar(select(func.count()).select_from(QuizAnswer)) == 1
        assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
        assert await session.scalar(select(func.count()).select_from(Achievement)) == 1
        assert (await ledger.audit(session, member)).consistent


async def test_a_quiz_without_points_pays_nothing(pool):
    member = await new_member(pool)
    free = QuizDraft("Just for fun", 0, 0, TODAY, TODAY, draft().questions[:1])
    step = await begin(pool, await published_quiz(pool, free), member)
    done = await answer(pool, step, 0, member_id=member)
    assert done.next.result.points == 0 and await balance(pool, member) == 0


async def test_the_announcement_is_ready_for_the_broadcast_feature(pool):
    ivan, olga = await new_member(pool, 1), await new_member(pool, 2)
    async with pool() as session, session.begin():
        (await session.get(Member, olga)).promo_opt_in = False
    quiz_id = await published_quiz(pool)
    async with pool() as session:
        announcement = await quizzes.announcement(session, quiz_id)
    assert announcement.title == "Coffee quiz" and announcement.questions == 2
    assert announcement.recipients == [(1, "ru")]
    assert ivan


# ---- through the Dispatcher --------------------------------------------------------------------


@pytest.fixture
async def harness(engine, tmp_path):
    harness = await make_harness(engine, tmp_path=tmp_path, start=NOW)
    yield harness
    assert harness.telegram.violations == []


async def join(harness, user) -> None:
    await harness.text(user, "/start")
    greeting = harness.last(user)
    await harness.press(user, greeting, button_data(greeting, "✅"))


def stored(harness, user, message: dict) -> dict:
    """The message as Telegram holds it now, after any edits."""
    return next(
        kept
        for kept in harness.telegram.chat_messages(user.id)
        if kept["message_id"] == message["message_id"]
    )


async def appoint_marketer(harness, user) -> None:
    owner = harness.user(OWNER_ID, "Olga", "en")
    calls = await harness.text(owner, "/invite marketer")
    payload = texts(calls)[-1].split()[-1].split("start=")[1]
    await harness.text(user, f"/start {payload}")


async def test_a_marketer_writes_a_quiz_in_the_chat_and_publishes_it(harness):
    mila = harness.user(30, "Mila", "ru")
    await appoint_marketer(harness, mila)
    steps = [
        ("/quiz", "Новая викторина"),
        ("Кофейная викторина", "Первый день"),
        ("завтра", "Нужна дата вида 01.12.2026"),
        ("23.11.2026", "А последний день"),
        ("2026-11-20", "последний день раньше первого"),
        ("30.11.2026", "Сколько баллов"),
        ("много", "Введите целое число от 0 до 10\xa0000"),
        ("10", "Бонус за прохождение"),
        ("20", "Вопрос 1"),
        ("Откуда родом кофе?", "Варианты ответа на вопрос 1"),
        ("Эфиопия", "нужно от 2 до 6 вариантов"),
        ("Эфиопия\nБразилия\nВьетнам", "Какой из них верный?"),
    ]
    for typed, expected in steps:
        calls = await harness.text(mila, typed)
        assert expected in texts(calls)[-1], (typed, texts(calls))
    pick = harness.last(mila)
    assert [label for label, _ in buttons(pick)] == ["1. Эфиопия", "2. Бразилия", "3. Вьетнам"]
    stale_pick = copy.deepcopy(pick)
    await harness.press(mila, pick, button_data(pick, "Эфиопия"))
    assert "Сохранён 1 вопрос" in harness.last(mila)["text"]
    calls = await harness.press(mila, stale_pick, button_data(stale_pick, "Бразилия"))
    assert [call.method for call in calls] == ["answerCallbackQuery"]
    await harness.text(mila, "Где больше молока?")
    await harness.text(mila, "Эспрессо\nЛатте")
    calls = await harness.text(mila, "5")
    assert "от 1 до 2" in texts(calls)[-1]
    calls = await harness.text(mila, "2")
    assert "Сохранено 2 вопроса" in texts(calls)[-1]
    more = harness.last(mila)
    finish = button_data(more, "Завершить")
    await harness.press(mila, more, finish)
    preview = harness.last(mila)
    body = preview["text"]
    assert "Сохранено как черновик" in body and "Кофейная викторина" in body
    assert "черновик · 23.11.2026–30.11.2026" in body
    assert "10 баллов за верный ответ, бонус за прохождение 20" in body
    assert "✅ Эфиопия" in body and "▫️ Бразилия" in body and "✅ Латте" in body
    calls = await harness.press(mila, copy.deepcopy(more), finish)  # a stale second tap
    assert [call.method for call in calls] == ["answerCallbackQuery"]

    await harness.press(mila, preview, button_data(preview, "Опубликовать"))
    assert "Кофейная викторина: идёт" in harness.last(mila)["text"]
    assert [label for label, _ in buttons(stored(harness, mila, preview))] == ["⏹ Закрыть"]
    calls = await harness.text(mila, "/quizzes")
    assert "#1 <b>Кофейная викторина</b> · идёт · 23.11.2026–30.11.2026" in texts(calls)[-1]
    async with harness.app.pool() as session:
        [summary] = await quizzes.summaries(session, now=NOW)
    assert summary.questions == 2 and summary.quiz.created_by == 30


async def test_cancel_stops_writing_and_saves_nothing(harness):
    owner = harness.user(OWNER_ID, "Olga", "en")
    await harness.text(owner, "/quiz")
    await harness.text(owner, "Coffee quiz")
    calls = await harness.text(owner, "/cancel")
    assert texts(calls) == ["Stopped. Nothing was saved."]
    calls = await harness.text(owner, "/quizzes")
    assert "No quizzes yet" in texts(calls)[-1]


async def test_customers_cannot_write_or_run_quizzes(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    for command in ("/quiz", "/quizzes"):
        calls = await harness.text(anna, command)
        assert texts(calls) == ["Извините, это только для сотрудников."]
    calls = await harness.feed(
        harness.telegram.send_document(anna, QUIZ_YAML.encode(), "quiz.yaml")
    )
    assert texts(calls) == ["Извините, это только для сотрудников."]
    async with harness.app.pool() as session:
        assert await quizzes.summaries(session, now=NOW) == []


@pytest.mark.parametrize(
    ("language", "saved", "problem"),
    [
        ("en", "Saved as a draft", "line 7: question 2 needs 2–6 options."),
        ("ru", "Сохранено как черновик", "строка 7: вопросу 2 нужно от 2 до 6 вариантов ответа."),
    ],
)
async def test_a_quiz_file_is_saved_or_its_problems_listed(harness, language, saved, problem):
    owner = harness.user(OWNER_ID, "Olga", language)
    calls = await harness.feed(
        harness.telegram.send_document(owner, QUIZ_YAML.encode(), "quiz.yaml")
    )
    assert saved in texts(calls)[-1]
    calls = await harness.feed(harness.telegram.send_document(owner, _two_problems(), "q.yml"))
    reply = texts(calls)[-1]
    assert problem in reply
    async with harness.app.pool() as session:
        assert len(await quizzes.summaries(session, now=NOW)) == 1


def _two_problems() -> bytes:
    return b"""\
title: Coffee quiz
points_per_correct: 10
starts: 2026-11-23
ends: 2026-11-30
questions:
  - {question: "Where?", options: [a, b], correct: 1}
  - {question: "Which?", options: [a], correct: 1}
colour: red
"""


async def test_a_member_plays_a_quiz_with_feedback_and_a_score(harness):
    anna = harness.user(1, "Анна", "ru")
    await join(harness, anna)
    calls = await harness.text(anna, "🎯 Викторины")
    assert "Сейчас викторин нет" in texts(calls)[-1]
    await published_quiz(harness.app.pool)
    await harness.text(anna, "🎯 Викторины")
    listing = harness.last(anna)
    assert "Coffee quiz: 2 вопроса, 10 баллов за каждый верный ответ" in listing["text"]
    assert "и 20 за прохождение до конца. До 30.11.2026" in listing["text"]
    await harness.press(anna, listing, button_data(listing, "Coffee quiz"))
    question = harness.last(anna)
    assert (
        "вопрос 1 из 2" in question["text"] and "Where was coffee first drunk?" in question["text"]
    )
    assert [label for label, _ in buttons(question)] == ["Ethiopia", "Brazil", "Vietnam"]
    old_view = copy.deepcopy(question)
    calls = await harness.press(anna, question, button_data(question, "Ethiopia"))
    assert calls[0].params["text"] == "✅ Верно!"
    assert stored(harness, anna, question)["text"].endswith("Ваш ответ: Ethiopia\n✅ Верно!")
    calls = await harness.press(anna, old_view, button_data(old_view, "Brazil"))
    assert [call.method for call in calls] == ["answerCallbackQuery"]
    assert calls[0].params["text"] == "Вы уже ответили на этот вопрос."

    second = harness.last(anna)
    assert "вопрос 2 из 2" in second["text"]
    await harness.press(anna, second, button_data(second, "Espresso"))
    answered = stored(harness, anna, second)["text"]
    assert answered.endswith("Ваш ответ: Espresso\n❌ Не совсем. Правильный ответ: Latte")
    assert buttons(stored(harness, anna, second)) == []
    result = harness.last(anna)["text"]
    assert "Coffee quiz: готово!" in result and "Верных ответов: 1 из 2" in result
    assert "На ваш счёт зачислено 30 баллов" in result
    assert "Новое достижение: 🎯 Первая викторина!" in result

    await harness.text(anna, "🎯 Викторины")
    assert "✅ Coffee quiz: верно 1 из 2, 30 баллов" in harness.last(anna)["text"]
    assert buttons(harness.last(anna)) == []
    await harness.text(anna, "💰 Баланс и история")
    screen = harness.last(anna)["text"]
    assert "Ваш баланс: 30 баллов" in screen and "🏆 Достижения: 🎯 Первая викторина" in screen
    assert "🎯 Coffee quiz" in screen


async def test_a_double_tap_on_the_last_answer_pays_once(harness):
    ivan = harness.user(2, "Ivan", "en")
    await join(harness, ivan)
    one = QuizDraft("Quick", 5, 0, TODAY, TODAY, draft().questions[:1])
    quiz_id = await published_quiz(harness.app.pool, one)
    async with harness.app.pool() as session:
        member = await session.scalar(select(Member).where(Member.telegram_id == 2))
    await harness.text(ivan, "🎯 Quizzes")
    listing = harness.last(ivan)
    assert (
        "Quick: 1 question, 5 points for each right answer. Until 23.11.2026" in (listing["text"])
    )
    await harness.press(ivan, listing, button_data(listing, "Quick"))
    question = harness.last(ivan)
    data = button_data(question, "Ethiopia")
    update = harness.telegram.press(ivan, question, data)
    await asyncio.gather(
        harness.feed(update),
        harness.feed(harness.telegram.redeliver(update)),
        harness.press(ivan, copy.deepcopy(question), data),
    )
    results = [m for m in harness.telegram.bot_messages(ivan.id) if "Quick: done!" in m["text"]]
    assert len(results) == 1 and "5 points are on your balance" in results[0]["text"]
    async with harness.app.pool() as session:
        assert await ledger.balance(session, member.id) == 5
    assert quiz_id


async def test_closing_a_quiz_stops_answers(harness):
    owner = harness.user(OWNER_ID, "Olga", "en")
    anna = harness.user(1, "Anna", "en")
    await join(harness, anna)
    await published_quiz(harness.app.pool)
    await harness.text(anna, "🎯 Quizzes")
    await harness.press(anna, harness.last(anna), button_data(harness.last(anna), "Coffee"))
    question = harness.last(anna)

    await harness.text(owner, "/quizzes")
    listing = harness.last(owner)
    await harness.press(owner, listing, button_data(listing, "#1"))
    preview = harness.last(owner)
    assert "open · 23.11.2026–30.11.2026" in preview["text"]
    calls = await harness.press(owner, preview, button_data(preview, "Close"))
    assert calls[0].params["text"] == "Closed."
    assert "Coffee quiz: closed." in harness.last(owner)["text"]
    assert buttons(stored(harness, owner, preview)) == []

    calls = await harness.press(anna, question, button_data(question, "Ethiopia"))
    assert [call.method for call in calls] == ["answerCallbackQuery"]
    assert calls[0].params["text"] == "This quiz is closed."
    calls = await harness.text(anna, "🎯 Quizzes")
    assert "No quizzes right now" in texts(calls)[-1]


async def test_a_long_quiz_is_previewed_in_several_messages(harness):
    owner = harness.user(OWNER_ID, "Olga", "en")
    question = "Q" * quizzes.QUESTION_MAX
    options = [f"{letter}" * quizzes.OPTION_MAX for letter in "abcdef"]
    long_quiz = {
        **QUIZ_JSON,
        "questions": [{"question": question, "options": options, "correct": 1}]
        * quizzes.MAX_QUESTIONS,
    }
    calls = await harness.feed(
        harness.telegram.send_document(owner, json.dumps(long_quiz).encode(), "long.json")
    )
    sent = [call for call in calls if call.method == "sendMessage"]
    assert len(sent) >= 3
    assert all(len(call.params["text"]) < 4096 for call in sent)
    assert "reply_markup" in sent[-1].params and "Publish" in str(sent[-1].params)
