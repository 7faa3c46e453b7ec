"""Quizzes for members: the open ones, one question at a time, feedback, the score."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from aiogram import Bot, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.i18n import I18n, join_lines
from bot.services import achievements, quizzes
from bot.services.program import Program
from bot.services.quizzes import AnswerStatus, QuizError, Step
from db.models import Member
from handlers.filters import IsMember, MenuButton


class QuizPlayCD(CallbackData, prefix="qp"):
    quiz: int


class QuizAnswerCD(CallbackData, prefix="qa"):
    attempt: int
    question: int
    option: int


def router() -> Router:
    router = Router(name="customer.quizzes")
    router.message.filter(IsMember())
    router.callback_query.filter(IsMember())
    router.message.register(show_quizzes, MenuButton("menu-quizzes"))
    router.callback_query.register(play, QuizPlayCD.filter())
    router.callback_query.register(answer, QuizAnswerCD.filter())
    return router


async def show_quizzes(
    message: Message,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    clock: Clock,
    settings: Settings,
) -> None:
    listings = await quizzes.open_for_member(session, member.id, now=clock.now())
    if not listings:
        await message.answer(i18n("quizzes-none"))
        return
    lines = [i18n("quizzes-title")]
    builder = InlineKeyboardBuilder()
    for item in listings:
        quiz = item.quiz
        if item.finished:
            lines.append(
                i18n(
                    "quizzes-line-done",
                    title=quiz.title,
                    correct=item.correct,
                    total=item.questions,
                    points=item.points,
                )
            )
            continue
        bonus = (
            i18n("quizzes-line-bonus", points=quiz.completion_bonus)
            if quiz.completion_bonus
            else ""
        )
        lines.append(
            i18n(
                "quizzes-line",
                title=quiz.title,
                questions=item.questions,
                points=quiz.points_per_correct,
                bonus=bonus,
                until=last_day(quiz.ends_at, settings),
            )
        )
        label = (
            i18n.plain(
                "quizzes-continue-button",
                title=quiz.title,
                answered=item.answered,
                total=item.questions,
            )
            if item.answered
            else i18n.plain("quizzes-start-button", title=quiz.title)
        )
        builder.button(text=label, callback_data=QuizPlayCD(quiz=quiz.id))
    builder.adjust(1)
    await message.answer(
        join_lines(lines), reply_markup=builder.as_markup() if builder.buttons else None
    )


async def play(
    query: CallbackQuery,
    callback_data: QuizPlayCD,
    bot: Bot,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    clock: Clock,
) -> None:
    try:
        step = await quizzes.begin(session, callback_data.quiz, member.id, now=clock.now())
    except QuizError as exc:
        await query.answer(i18n.plain(f"quiz-unavailable-{exc.reason}"), show_alert=True)
        return
    await query.answer()
    body, markup = render_step(i18n, step)
    await bot.send_message(query.from_user.id, body, reply_markup=markup)


async def answer(
    query: CallbackQuery,
    callback_data: QuizAnswerCD,
    bot: Bot,
    session: AsyncSession,
    member: Member,
    i18n: I18n,
    program: Program,
    clock: Clock,
) -> None:
    answered = await quizzes.answer(
        session,
        program,
        member_id=member.id,
        attempt_id=callback_data.attempt,
        question_id=callback_data.question,
        option=callback_data.option,
        now=clock.now(),
    )
    if answered.status is AnswerStatus.STALE:
        await query.answer(i18n.plain("stale-button"))
        return
    if answered.status is AnswerStatus.CLOSED:
        await query.answer(i18n.plain("quiz-unavailable-closed"), show_alert=True)
        return
    if answered.status is AnswerStatus.REPEATED:
        # The first tap already answered and moved on; this one changes nothing.
        await query.answer(i18n.plain("quiz-already-answered"))
        return
    await query.answer(i18n.plain("quiz-right-short" if answered.correct else "quiz-wrong-short"))
    question = answered.question
    assert question is not None and answered.next is not None
    feedback = (
        i18n("quiz-right")
        if answered.correct
        else i18n("quiz-wrong", answer=question.options[question.correct])
    )
    if isinstance(query.message, Message):
        # The question stays in the chat with the answer under it, and without its buttons.
        chosen = i18n("quiz-your-answer", answer=question.options[answered.chosen])
        await query.message.edit_text(f"{query.message.html_text}\n\n{chosen}\n{feedback}")
    body, markup = render_step(i18n, answered.next)
    await bot.send_message(query.from_user.id, body, reply_markup=markup)


def render_step(i18n: I18n, step: Step) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question to answer now with its options as buttons, or the final score."""
    if step.question is None:
        result = step.result
        if result is None:  # answered everything, but the quiz closed before the end
            return i18n("quiz-unavailable-closed"), None
        lines = [
            i18n("quiz-result", title=step.title, correct=result.correct, total=result.total),
            i18n("quiz-result-points", points=result.points)
            if result.points
            else i18n("quiz-result-no-points"),
        ]
        if result.new_badges:
            lines.append(i18n("achievement-new", names=badge_names(i18n, result.new_badges)))
        return "\n".join(lines), None
    question = step.question
    builder = InlineKeyboardBuilder()
    for index, option in enumerate(question.options):
        builder.button(
            text=option,
            callback_data=QuizAnswerCD(
                attempt=step.attempt_id, question=question.id, option=index
            ),
        )
    builder.adjust(1)
    body = i18n(
        "quiz-question",
        title=step.title,
        number=step.number,
        total=step.total,
        text=question.text,
    )
    return body, builder.as_markup()


def badge_names(i18n: I18n, badges: Iterable[achievements.Badge], *, visits: int = 5) -> str:
    """Achievements by name, for the balance screen and the end of a quiz."""
    return ", ".join(
        i18n.plain(f"achievement-{badge.value.replace('_', '-')}", visits=visits)
        for badge in badges
    )


async def achievement_lines(
    session: AsyncSession, member: Member, i18n: I18n, program: Program
) -> list[str]:
    """The balance screen's achievements line, when the member has any."""
    badges = await achievements.earned(session, member.id)
    if not badges:
        return []
    names = badge_names(i18n, badges, visits=program.achievements.visits)
    return [i18n("balance-achievements", names=names)]


def last_day(ends_at: datetime, settings: Settings) -> str:
    """A quiz ends at the midnight after its last day: that last day."""
    return (ends_at - timedelta(seconds=1)).astimezone(settings.tz).strftime("%d.%m.%Y")
