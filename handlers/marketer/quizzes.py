"""Writing and running quizzes: `/quiz` asks step by step, a YAML or JSON file does it at once,
`/quizzes` lists them with preview, publish and close."""

from __future__ import annotations

import io
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n, Raw, join_lines
from bot.services import broadcasts, quizzes
from bot.services.program import Program
from bot.services.quizzes import (
    MAX_BONUS,
    MAX_POINTS,
    MAX_QUESTIONS,
    Detail,
    Problem,
    QuestionDraft,
    QuizDraft,
    QuizError,
    QuizState,
)
from bot.services.team import Person
from db.models import Quiz
from handlers.customer.quizzes import last_day

if TYPE_CHECKING:
    from bot.broadcasting import Broadcaster

MESSAGE_LIMIT = 4000  # Telegram's is 4096 characters; leave room for the markup
SHOWN_PROBLEMS = 15
DATE_EXAMPLE = "01.12.2026"


class QuizAuthoring(StatesGroup):
    title = State()
    starts = State()
    ends = State()
    points = State()
    bonus = State()
    question = State()
    options = State()
    correct = State()


class DraftAction(StrEnum):
    CORRECT = "c"
    FINISH = "f"


class QuizDraftCD(CallbackData, prefix="qd"):
    action: DraftAction
    option: int = 0


class AdminAction(StrEnum):
    PREVIEW = "v"
    PUBLISH = "p"
    CLOSE = "x"


class QuizAdminCD(CallbackData, prefix="qz"):
    action: AdminAction
    quiz: int


def router() -> Router:
    """Gated by the marketer router around it: owners and marketers only."""
    router = Router(name="marketer.quizzes")
    router.message.register(cancel, Command("cancel"), StateFilter(QuizAuthoring))
    router.message.register(new_quiz, Command("quiz"))
    router.message.register(list_quizzes, Command("quizzes"))
    router.message.register(
        upload, F.document.file_name.regexp(r"(?i)^.*\.(ya?ml|json)$"), StateFilter("*")
    )
    router.message.register(type_title, QuizAuthoring.title, F.text)
    router.message.register(type_starts, QuizAuthoring.starts, F.text)
    router.message.register(type_ends, QuizAuthoring.ends, F.text)
    router.message.register(type_points, QuizAuthoring.points, F.text)
    router.message.register(type_bonus, QuizAuthoring.bonus, F.text)
    router.message.register(type_question, QuizAuthoring.question, F.text)
    router.message.register(type_options, QuizAuthoring.options, F.text)
    router.message.register(type_correct, QuizAuthoring.correct, F.text)
    router.callback_query.register(
        pick_correct,
        QuizDraftCD.filter(F.action == DraftAction.CORRECT),
        QuizAuthoring.correct,
    )
    router.callback_query.register(
        finish, QuizDraftCD.filter(F.action == DraftAction.FINISH), QuizAuthoring.question
    )
    router.callback_query.register(manage, QuizAdminCD.filter())
    return router


# ---- writing a quiz in the chat ----------------------------------------------------------------


async def new_quiz(message: Message, i18n: I18n, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(QuizAuthoring.title)
    await message.answer(i18n("quiz-new-title", max=quizzes.TITLE_MAX))


async def cancel(message: Message, i18n: I18n, state: FSMContext) -> None:
    await state.clear()
    await message.answer(i18n("quiz-new-cancelled"))


async def type_title(message: Message, i18n: I18n, state: FSMContext) -> None:
    title = quizzes.parse_title(message.text or "")
    if isinstance(title, Problem):
        await message.answer(problem_text(i18n, title))
        return
    await state.update_data(title=title)
    await state.set_state(QuizAuthoring.starts)
    await message.answer(i18n("quiz-new-starts", example=DATE_EXAMPLE))


async def type_starts(message: Message, i18n: I18n, state: FSMContext) -> None:
    starts_on = quizzes.parse_date(message.text or "")
    if starts_on is None:
        await message.answer(i18n("quiz-date-invalid", example=DATE_EXAMPLE))
        return
    await state.update_data(starts=starts_on.isoformat())
    await state.set_state(QuizAuthoring.ends)
    await message.answer(i18n("quiz-new-ends", example=DATE_EXAMPLE))


async def type_ends(
    message: Message, i18n: I18n, state: FSMContext, clock: Clock, settings: Settings
) -> None:
    ends_on = quizzes.parse_date(message.text or "")
    if ends_on is None:
        await message.answer(i18n("quiz-date-invalid", example=DATE_EXAMPLE))
        return
    data = await state.get_data()
    today = clock.now().astimezone(settings.tz).date()
    wrong = quizzes.check_dates(_date(data["starts"]), ends_on, today=today)
    if wrong is not None:
        await message.answer(problem_text(i18n, wrong))
        return
    await state.update_data(ends=ends_on.isoformat())
    await state.set_state(QuizAuthoring.points)
    await message.answer(i18n("quiz-new-points", max=MAX_POINTS))


async def type_points(message: Message, i18n: I18n, state: FSMContext) -> None:
    points = quizzes.parse_whole(
        message.text or "", key="points_per_correct", low=0, high=MAX_POINTS
    )
    if isinstance(points, Problem):
        await message.answer(i18n("quiz-new-number-invalid", max=MAX_POINTS))
        return
    await state.update_data(points=points)
    await state.set_state(QuizAuthoring.bonus)
    await message.answer(i18n("quiz-new-bonus", max=MAX_BONUS))


async def type_bonus(message: Message, i18n: I18n, state: FSMContext) -> None:
    bonus = quizzes.parse_whole(message.text or "", key="completion_bonus", low=0, high=MAX_BONUS)
    if isinstance(bonus, Problem):
        await message.answer(i18n("quiz-new-number-invalid", max=MAX_BONUS))
        return
    await state.update_data(bonus=bonus, questions=[])
    await state.set_state(QuizAuthoring.question)
    await message.answer(i18n("quiz-new-question", number=1, max=quizzes.QUESTION_MAX))


async def type_question(message: Message, i18n: I18n, state: FSMContext) -> None:
    data = await state.get_data()
    number = len(data.get("questions", [])) + 1
    question = quizzes.parse_question(message.text or "", number=number)
    if isinstance(question, Problem):
        await message.answer(problem_text(i18n, question))
        return
    await state.update_data(question=question)
    await state.set_state(QuizAuthoring.options)
    await message.answer(
        i18n(
            "quiz-new-options",
            number=number,
            min=quizzes.MIN_OPTIONS,
            max=quizzes.MAX_OPTIONS,
            length=quizzes.OPTION_MAX,
        )
    )


async def type_options(message: Message, i18n: I18n, state: FSMContext) -> None:
    data = await state.get_data()
    number = len(data.get("questions", [])) + 1
    options = quizzes.parse_options(message.text or "", number=number)
    if isinstance(options, Problem):
        await message.answer(problem_text(i18n, options))
        return
    await state.update_data(options=list(options))
    await state.set_state(QuizAuthoring.correct)
    builder = InlineKeyboardBuilder()
    for index, option in enumerate(options):
        builder.button(
            text=f"{index + 1}. {option}",
            callback_data=QuizDraftCD(action=DraftAction.CORRECT, option=index),
        )
    builder.adjust(1)
    await message.answer(i18n("quiz-new-correct"), reply_markup=builder.as_markup())


async def type_correct(message: Message, i18n: I18n, state: FSMContext) -> None:
    data = await state.get_data()
    options = data.get("options", [])
    text = (message.text or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= len(options):
        await message.answer(i18n("quiz-new-correct-number", count=len(options)))
        return
    saved = await _save_question(state, int(text) - 1)
    if saved:
        body, markup = _next_question_prompt(i18n, saved)
        await message.answer(body, reply_markup=markup)


async def pick_correct(
    query: CallbackQuery, callback_data: QuizDraftCD, bot: Bot, i18n: I18n, state: FSMContext
) -> None:
    saved = await _save_question(state, callback_data.option)
    if not saved:
        await query.answer(i18n.plain("stale-button"))
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    body, markup = _next_question_prompt(i18n, saved)
    await bot.send_message(query.from_user.id, body, reply_markup=markup)


async def _save_question(state: FSMContext, correct: int) -> int:
    """Add the question being written; how many the quiz has now, 0 if there was none.

    FSM memory storage reads and writes without yielding to other updates, so of two taps
    at once, the second finds the question already taken."""
    data = await state.get_data()
    options = data.get("options") or []
    if not 0 <= correct < len(options):
        return 0
    questions = [
        *data.get("questions", []),
        {"text": data["question"], "options": options, "correct": correct},
    ]
    await state.update_data(questions=questions, question=None, options=None)
    await state.set_state(QuizAuthoring.question)
    return len(questions)


def _next_question_prompt(i18n: I18n, saved: int) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n.plain("quiz-new-finish-button"),
        callback_data=QuizDraftCD(action=DraftAction.FINISH),
    )
    if saved >= MAX_QUESTIONS:
        return i18n("quiz-new-full", max=MAX_QUESTIONS), builder.as_markup()
    return i18n("quiz-new-more", saved=saved, number=saved + 1), builder.as_markup()


async def finish(
    query: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
    state: FSMContext,
) -> None:
    # Taken and cleared before anything awaits I/O: a double tap finds nothing to save.
    data = await state.get_data()
    await state.clear()
    if not data.get("questions"):
        await query.answer(i18n.plain("stale-button"))
        return
    draft = QuizDraft(
        title=data["title"],
        points_per_correct=data["points"],
        completion_bonus=data["bonus"],
        starts_on=_date(data["starts"]),
        ends_on=_date(data["ends"]),
        questions=tuple(
            QuestionDraft(item["text"], tuple(item["options"]), item["correct"])
            for item in data["questions"]
        ),
    )
    quiz = await quizzes.create(
        session, draft, created_by=person.telegram_id, tz=settings.tz, now=clock.now()
    )
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
    await _send_preview(
        bot, query.from_user.id, session, i18n, settings, clock, quiz.id, saved=True
    )


# ---- a quiz as a file ---------------------------------------------------------------------------


async def upload(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
) -> None:
    document = message.document
    assert document is not None
    if (document.file_size or 0) > quizzes.FILE_MAX_BYTES:
        problems: list[Problem] = [
            Problem("file-size", args={"kb": quizzes.FILE_MAX_BYTES // 1024})
        ]
    else:
        buffer = io.BytesIO()
        await bot.download(document, destination=buffer)
        today = clock.now().astimezone(settings.tz).date()
        parsed = quizzes.parse_document(buffer.getvalue(), document.file_name or "", today=today)
        if isinstance(parsed, QuizDraft):
            quiz = await quizzes.create(
                session, parsed, created_by=person.telegram_id, tz=settings.tz, now=clock.now()
            )
            await _send_preview(
                bot, message.chat.id, session, i18n, settings, clock, quiz.id, saved=True
            )
            return
        problems = parsed
    lines = [i18n("quiz-file-problems", count=len(problems))]
    lines += [problem_text(i18n, problem) for problem in problems[:SHOWN_PROBLEMS]]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(i18n("quiz-file-more", count=len(problems) - SHOWN_PROBLEMS))
    await message.answer(join_lines(lines))


def problem_text(i18n: I18n, problem: Problem) -> str:
    """`line 7: question 2 needs 2–6 options`, in the reader's language."""
    args: dict[str, Any] = dict(problem.args)
    body = i18n(f"quiz-problem-{problem.code}", **args)
    return (
        i18n("quiz-problem-line", line=str(problem.line), problem=Raw(body))
        if problem.line
        else body
    )


# ---- listing, preview, publish, close ---------------------------------------------------------


async def list_quizzes(
    message: Message, session: AsyncSession, i18n: I18n, clock: Clock, settings: Settings
) -> None:
    found = await quizzes.summaries(session, now=clock.now())
    if not found:
        await message.answer(i18n("quizzes-admin-empty"))
        return
    builder = InlineKeyboardBuilder()
    lines = [i18n("quizzes-admin-title")]
    for summary in found:
        quiz = summary.quiz
        lines.append(
            i18n(
                "quizzes-admin-line",
                id=str(quiz.id),
                title=quiz.title,
                state=i18n.plain(f"quiz-state-{summary.state.value}"),
                dates=_dates(quiz, settings),
                finished=summary.finished,
            )
        )
        builder.button(
            text=i18n.plain("quiz-preview-button", id=str(quiz.id), title=quiz.title[:40]),
            callback_data=QuizAdminCD(action=AdminAction.PREVIEW, quiz=quiz.id),
        )
    builder.adjust(1)
    await message.answer(join_lines(lines), reply_markup=builder.as_markup())


async def manage(
    query: CallbackQuery,
    callback_data: QuizAdminCD,
    bot: Bot,
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
    program: Program,
    broadcaster: Broadcaster,
) -> None:
    now = clock.now()
    if callback_data.action is AdminAction.PREVIEW:
        await query.answer()
        await _send_preview(
            bot, query.from_user.id, session, i18n, settings, clock, callback_data.quiz
        )
        return
    try:
        if callback_data.action is AdminAction.PUBLISH:
            quiz, changed = await quizzes.publish(session, callback_data.quiz, now=now)
            if changed:  # members are told when it opens, by a broadcast (outside quiet hours)
                await broadcasts.announce_quiz(
                    session,
                    program,
                    quiz.id,
                    created_by=query.from_user.id,
                    now=now,
                    tz=settings.tz,
                )
                broadcaster.wake()
            notice = i18n.plain("quiz-published", dates=_dates(quiz, settings))
        else:
            quiz, changed = await quizzes.close(session, callback_data.quiz, now=now)
            notice = i18n.plain("quiz-closed-now")
    except QuizError as exc:
        await query.answer(i18n.plain(f"quiz-error-{exc.reason}"), show_alert=True)
        return
    await query.answer(notice if changed else i18n.plain("quiz-unchanged"))
    if not changed:
        return
    detail = await quizzes.detail(session, quiz.id, now=now)
    assert detail is not None
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=_admin_buttons(i18n, detail))
    await bot.send_message(
        query.from_user.id,
        i18n(
            "quiz-status-now",
            id=str(quiz.id),
            title=quiz.title,
            state=i18n.plain(f"quiz-state-{detail.summary.state.value}"),
        ),
    )


async def _send_preview(
    bot: Bot,
    chat_id: int,
    session: AsyncSession,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
    quiz_id: int,
    *,
    saved: bool = False,
) -> None:
    detail = await quizzes.detail(session, quiz_id, now=clock.now())
    if detail is None:
        await bot.send_message(chat_id, i18n("quiz-error-unknown"))
        return
    chunks = _chunks(preview_lines(i18n, settings, detail, saved=saved))
    for chunk in chunks[:-1]:
        await bot.send_message(chat_id, chunk)
    await bot.send_message(chat_id, chunks[-1], reply_markup=_admin_buttons(i18n, detail))


def preview_lines(i18n: I18n, settings: Settings, detail: Detail, *, saved: bool) -> list[str]:
    """The quiz as its author checks it: every question, the right answers marked."""
    summary, quiz = detail.summary, detail.summary.quiz
    lines = [i18n("quiz-saved")] if saved else []
    lines.append(
        i18n(
            "quiz-preview-head",
            id=str(quiz.id),
            title=quiz.title,
            state=i18n.plain(f"quiz-state-{summary.state.value}"),
            dates=_dates(quiz, settings),
            points=quiz.points_per_correct,
            bonus=quiz.completion_bonus,
            attempts=summary.attempts,
            finished=summary.finished,
        )
    )
    for question in detail.questions:
        lines += ["", i18n("quiz-preview-question", number=question.position, text=question.text)]
        lines += [
            i18n(
                "quiz-preview-option",
                mark="✅" if index == question.correct else "▫️",
                option=option,
            )
            for index, option in enumerate(question.options)
        ]
    return lines


def _admin_buttons(i18n: I18n, detail: Detail) -> InlineKeyboardMarkup | None:
    quiz, current = detail.summary.quiz, detail.summary.state
    builder = InlineKeyboardBuilder()
    if current is QuizState.DRAFT:
        builder.button(
            text=i18n.plain("quiz-publish-button"),
            callback_data=QuizAdminCD(action=AdminAction.PUBLISH, quiz=quiz.id),
        )
    if current is not QuizState.CLOSED:
        builder.button(
            text=i18n.plain(
                "quiz-discard-button" if current is QuizState.DRAFT else "quiz-close-button"
            ),
            callback_data=QuizAdminCD(action=AdminAction.CLOSE, quiz=quiz.id),
        )
    builder.adjust(2)
    return builder.as_markup() if builder.buttons else None


def _chunks(lines: list[str]) -> list[str]:
    """Messages under Telegram's length limit, split between lines."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if current and size + len(line) + 1 > MESSAGE_LIMIT:
            chunks.append("\n".join(current).strip("\n"))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    chunks.append("\n".join(current).strip("\n"))
    return chunks


def _dates(quiz: Quiz, settings: Settings) -> str:
    first = quiz.starts_at.astimezone(settings.tz).strftime("%d.%m.%Y")
    return f"{first}–{last_day(quiz.ends_at, settings)}"


def _date(iso: str) -> date:
    return date.fromisoformat(iso)
