"""Quizzes: marketers write them, in the chat or as a YAML or JSON file; members answer one
question at a time; points go through the ledger once per attempt.

A quiz is a draft until it is published, and open to members from the start of its first day
to the end of its last (in the business's time zone) or until it is closed. Each member has one
attempt per quiz and one answer per question (both unique in the database), so a restart, a
double tap or an old button never counts twice. The points (right answers times the quiz's
points, plus the completion bonus) are paid when the last question is answered, under the key
`quiz:<attempt>`.

Problems with a quiz are `Problem`s: a code, the line of the file it is on, and arguments. The
handlers turn them into the person's language (`quiz-problem-<code>`).
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from json.decoder import scanstring
from typing import Any

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import achievements, ledger, wallet
from bot.services.ledger import EntryKind
from bot.services.program import Program
from db.models import Member, Quiz, QuizAnswer, QuizAttempt, QuizQuestion
from db.session import insert_for

TITLE_MAX = 100
QUESTION_MAX = 250
OPTION_MAX = 40  # an answer is a button: longer labels get cut on phones
MIN_OPTIONS, MAX_OPTIONS = 2, 6
MAX_QUESTIONS = 20
MAX_POINTS = 10_000
MAX_BONUS = 100_000
MAX_DAYS = 366
FILE_MAX_BYTES = 256 * 1024
FILE_SUFFIXES = (".yaml", ".yml", ".json")

_TOP_KEYS = ("title", "points_per_correct", "completion_bonus", "starts", "ends", "questions")
_QUESTION_KEYS = ("question", "options", "correct")


class QuizStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"


class QuizState(StrEnum):
    """What a quiz is right now, for the people who run it."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"  # published, its first day has not come
    OPEN = "open"
    ENDED = "ended"  # published, its last day has passed
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a quiz: `quiz-problem-<code>` in the locales says what."""

    code: str
    line: int | None = None
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QuestionDraft:
    text: str
    options: tuple[str, ...]
    correct: int  # index into options


@dataclass(frozen=True, slots=True)
class QuizDraft:
    title: str
    points_per_correct: int
    completion_bonus: int
    starts_on: date
    ends_on: date
    questions: tuple[QuestionDraft, ...]


class QuizError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "unknown", "closed", "ended", "not-started"


# ---- reading what marketers type -------------------------------------------------------------


def parse_title(raw: str) -> str | Problem:
    title = " ".join(raw.split())
    if not 1 <= len(title) <= TITLE_MAX:
        return Problem("title", args={"max": TITLE_MAX})
    return title


def parse_date(raw: str) -> date | None:
    """`2026-12-01` or `01.12.2026`."""
    raw = raw.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw, pattern).date()  # noqa: DTZ007 - a date, no time
        except ValueError:
            continue
    return None


def parse_whole(raw: str, *, key: str, low: int, high: int) -> int | Problem:
    text = raw.strip().replace(" ", "")
    if not re.fullmatch(r"\d{1,9}", text) or not low <= int(text) <= high:
        return Problem("number", args={"key": key, "min": low, "max": high})
    return int(text)


def parse_question(raw: str, *, number: int) -> str | Problem:
    text = raw.strip()
    if not 1 <= len(text) <= QUESTION_MAX:
        return Problem("question-text", args={"number": number, "max": QUESTION_MAX})
    return text


def parse_options(raw: str, *, number: int) -> tuple[str, ...] | Problem:
    """Answer options, one per line."""
    options = tuple(line.strip() for line in raw.splitlines() if line.strip())
    return _check_options(options, number=number, line=None)


def check_dates(starts_on: date, ends_on: date, *, today: date) -> Problem | None:
    if ends_on < starts_on:
        return Problem("dates-order")
    if ends_on < today:
        return Problem("ends-past")
    if (ends_on - starts_on).days >= MAX_DAYS:
        return Problem("too-long", args={"days": MAX_DAYS})
    return None


def _check_options(
    options: tuple[str, ...], *, number: int, line: int | None
) -> tuple[str, ...] | Problem:
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        return Problem("options", line, {"number": number, "min": MIN_OPTIONS, "max": MAX_OPTIONS})
    for position, option in enumerate(options, 1):
        if not 1 <= len(option) <= OPTION_MAX:
            return Problem(
                "option-text", line, {"number": number, "option": position, "max": OPTION_MAX}
            )
    if len({option.casefold() for option in options}) != len(options):
        return Problem("options-repeat", line, {"number": number})
    return options


# ---- reading a quiz file ----------------------------------------------------------------------


@dataclass(slots=True)
class _Node:
    """A value from the file and the line it starts on. Mappings and lists hold nodes."""

    value: Any
    line: int
    duplicates: list[tuple[str, int]] = field(default_factory=list)


class _SyntaxProblem(Exception):
    def __init__(self, line: int | None, column: int | None) -> None:
        super().__init__(f"line {line}, column {column}")
        self.line = line
        self.column = column


def parse_document(data: bytes, filename: str, *, today: date) -> QuizDraft | list[Problem]:
    """A quiz file (YAML, or JSON by its `.json` name) to a draft, or every problem it has,
    each with its line: `line 7: question 2 needs 2–6 options`."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in FILE_SUFFIXES:
        return [Problem("file-type")]
    if len(data) > FILE_MAX_BYTES:
        return [Problem("file-size", args={"kb": FILE_MAX_BYTES // 1024})]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [Problem("encoding")]
    kind = "JSON" if suffix == ".json" else "YAML"
    try:
        root = _json_tree(text) if kind == "JSON" else _yaml_tree(text)
    except _SyntaxProblem as exc:
        return [Problem("syntax", exc.line, {"format": kind, "column": exc.column or 1})]
    problems: list[Problem] = []
    draft = _draft(root, problems, today=today)
    if problems or draft is None:
        return sorted(problems, key=lambda problem: problem.line or 0)
    return draft


def _yaml_tree(text: str) -> _Node:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return _Node(None, 1)
        return _from_yaml(loader, node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _SyntaxProblem(
            mark.line + 1 if mark else None, mark.column + 1 if mark else None
        ) from exc
    except yaml.YAMLError as exc:
        raise _SyntaxProblem(None, None) from exc
    finally:
        loader.dispose()


def _from_yaml(loader: yaml.SafeLoader, node: yaml.Node) -> _Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result = _Node({}, line)
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            if key in result.value:
                result.duplicates.append((key, key_node.start_mark.line + 1))
            result.value[key] = _from_yaml(loader, value_node)
        return result
    if isinstance(node, yaml.SequenceNode):
        return _Node([_from_yaml(loader, item) for item in node.value], line)
    try:
        return _Node(loader.construct_object(node), line)
    except (yaml.YAMLError, ValueError):  # e.g. 2026-13-45 looks like a date but is not one
        return _Node(str(node.value), line)


def _json_tree(text: str) -> _Node:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise _SyntaxProblem(exc.lineno, exc.colno) from exc
    except RecursionError as exc:
        raise _SyntaxProblem(None, None) from exc
    # Valid JSON: walk it once more, noting where each value starts.
    starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]
    decoder = json.JSONDecoder()

    def line_at(index: int) -> int:
        return bisect.bisect_right(starts, index)

    def skip(index: int) -> int:
        while index < len(text) and text[index] in " \t\r\n":
            index += 1
        return index

    def value(index: int) -> tuple[_Node, int]:
        index = skip(index)
        line = line_at(index)
        if text[index] == "{":
            node = _Node({}, line)
            index = skip(index + 1)
            while text[index] != "}":
                key_line = line_at(index)
                key, index = scanstring(text, index + 1)
                index = skip(skip(index) + 1)  # past the colon
                item, index = value(index)
                if key in node.value:
                    node.duplicates.append((key, key_line))
                node.value[key] = item
                index = skip(index)
                if text[index] == ",":
                    index = skip(index + 1)
            return node, index + 1
        if text[index] == "[":
            node = _Node([], line)
            index = skip(index + 1)
            while text[index] != "]":
                item, index = value(index)
                node.value.append(item)
                index = skip(index)
                if text[index] == ",":
                    index = skip(index + 1)
            return node, index + 1
        scalar, end = decoder.raw_decode(text, index)
        return _Node(scalar, line), end

    return value(0)[0]


def _draft(root: _Node, problems: list[Problem], *, today: date) -> QuizDraft | None:
    if not isinstance(root.value, dict):
        problems.append(Problem("not-mapping", root.line))
        return None
    fields = _mapping(root, _TOP_KEYS, problems)
    title = _title(root, fields, problems)
    points = _whole(root, fields, "points_per_correct", MAX_POINTS, problems, required=True)
    bonus = _whole(root, fields, "completion_bonus", MAX_BONUS, problems, required=False)
    starts_on = _date(root, fields, "starts", problems)
    ends_on = _date(root, fields, "ends", problems)
    if starts_on and ends_on:
        wrong = check_dates(starts_on, ends_on, today=today)
        if wrong is not None:
            problems.append(Problem(wrong.code, fields["ends"].line, wrong.args))
    questions = _questions(root, fields, problems)
    if problems:
        return None
    assert title is not None and points is not None and starts_on and ends_on
    return QuizDraft(
        title=title,
        points_per_correct=points,
        completion_bonus=bonus or 0,
        starts_on=starts_on,
        ends_on=ends_on,
        questions=tuple(questions),
    )


def _mapping(node: _Node, allowed: tuple[str, ...], problems: list[Problem]) -> dict[str, _Node]:
    fields: dict[str, _Node] = node.value
    problems.extend(Problem("duplicate-key", line, {"key": key}) for key, line in node.duplicates)
    problems.extend(
        Problem("unknown-key", item.line, {"key": key, "known": ", ".join(allowed)})
        for key, item in fields.items()
        if key not in allowed
    )
    return fields


def _present(
    parent: _Node, fields: dict[str, _Node], key: str, problems: list[Problem]
) -> _Node | None:
    item = fields.get(key)
    if item is None:
        problems.append(Problem("missing", parent.line, {"key": key}))
    return item


def _title(parent: _Node, fields: dict[str, _Node], problems: list[Problem]) -> str | None:
    item = _present(parent, fields, "title", problems)
    if item is None:
        return None
    title = parse_title(item.value) if isinstance(item.value, str) else None
    if not isinstance(title, str):
        problems.append(Problem("title", item.line, {"max": TITLE_MAX}))
        return None
    return title


def _whole(
    parent: _Node,
    fields: dict[str, _Node],
    key: str,
    high: int,
    problems: list[Problem],
    *,
    required: bool,
) -> int | None:
    item = _present(parent, fields, key, problems) if required else fields.get(key)
    if item is None:
        return None
    value = item.value
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        problems.append(Problem("number", item.line, {"key": key, "min": 0, "max": high}))
        return None
    return value


def _date(
    parent: _Node, fields: dict[str, _Node], key: str, problems: list[Problem]
) -> date | None:
    item = _present(parent, fields, key, problems)
    if item is None:
        return None
    value = item.value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        problems.append(Problem("date", item.line, {"key": key}))
    return parsed


def _questions(
    parent: _Node, fields: dict[str, _Node], problems: list[Problem]
) -> list[QuestionDraft]:
    item = _present(parent, fields, "questions", problems)
    if item is None:
        return []
    if not isinstance(item.value, list) or not 1 <= len(item.value) <= MAX_QUESTIONS:
        problems.append(Problem("questions-count", item.line, {"max": MAX_QUESTIONS}))
        return []
    drafts = []
    for number, entry in enumerate(item.value, 1):
        question = _question(entry, number, problems)
        if question is not None:
            drafts.append(question)
    return drafts


def _question(entry: _Node, number: int, problems: list[Problem]) -> QuestionDraft | None:
    if not isinstance(entry.value, dict):
        problems.append(Problem("question-mapping", entry.line, {"number": number}))
        return None
    fields = _mapping(entry, _QUESTION_KEYS, problems)
    text_node = _present(entry, fields, "question", problems)
    text: str | Problem | None = None
    if text_node is not None:
        text = (
            parse_question(text_node.value, number=number)
            if isinstance(text_node.value, str)
            else None
        )
        if not isinstance(text, str):
            problems.append(
                Problem("question-text", text_node.line, {"number": number, "max": QUESTION_MAX})
            )
    options_node = _present(entry, fields, "options", problems)
    options: tuple[str, ...] | Problem | None = None
    if options_node is not None:
        raw = options_node.value if isinstance(options_node.value, list) else []
        options = _check_options(
            tuple(_option_text(option.value) for option in raw),
            number=number,
            line=options_node.line,
        )
        if isinstance(options, Problem):
            problems.append(options)
    correct_node = _present(entry, fields, "correct", problems)
    if not isinstance(text, str) or not isinstance(options, tuple) or correct_node is None:
        return None
    correct = _correct_index(correct_node.value, options)
    if correct is None:
        problems.append(
            Problem("correct", correct_node.line, {"number": number, "count": len(options)})
        )
        return None
    return QuestionDraft(text=text, options=options, correct=correct)


def _option_text(value: Any) -> str:
    if value is None or isinstance(value, (bool, dict, list)):
        return ""
    return str(value).strip()


def _correct_index(value: Any, options: tuple[str, ...]) -> int | None:
    """The right option: its number (from 1) or its text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value - 1 if 1 <= value <= len(options) else None
    if isinstance(value, str):
        wanted = value.strip().casefold()
        for index, option in enumerate(options):
            if option.casefold() == wanted:
                return index
    return None


# ---- running quizzes ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    quiz: Quiz
    state: QuizState
    questions: int
    attempts: int
    finished: int


@dataclass(frozen=True, slots=True)
class Detail:
    summary: Summary
    questions: list[QuizQuestion]


@dataclass(frozen=True, slots=True)
class Announcement:
    """What the broadcast feature will send when a quiz is published: the quiz, and the
    members who accept promotional messages (telegram id, language)."""

    quiz_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    points_per_correct: int
    completion_bonus: int
    questions: int
    recipients: list[tuple[int, str]]


def state(quiz: Quiz, now: datetime) -> QuizState:
    if quiz.status == QuizStatus.DRAFT:
        return QuizState.DRAFT
    if quiz.status == QuizStatus.CLOSED:
        return QuizState.CLOSED
    if now < quiz.starts_at:
        return QuizState.SCHEDULED
    if now >= quiz.ends_at:
        return QuizState.ENDED
    return QuizState.OPEN


def local_window(draft: QuizDraft, tz: tzinfo) -> tuple[datetime, datetime]:
    """From the first day's midnight to the midnight after the last day, local time."""
    starts_at = datetime.combine(draft.starts_on, time(0), tz)
    ends_at = datetime.combine(draft.ends_on + timedelta(days=1), time(0), tz)
    return starts_at, ends_at


async def create(
    session: AsyncSession, draft: QuizDraft, *, created_by: int, tz: tzinfo, now: datetime
) -> Quiz:
    """Save a draft. Members see it once it is published and its first day has come."""
    starts_at, ends_at = local_window(draft, tz)
    quiz = Quiz(
        title=draft.title,
        points_per_correct=draft.points_per_correct,
        completion_bonus=draft.completion_bonus,
        starts_at=starts_at,
        ends_at=ends_at,
        status=QuizStatus.DRAFT.value,
        created_by=created_by,
        created_at=now,
    )
    session.add(quiz)
    await session.flush()
    session.add_all(
        QuizQuestion(
            quiz_id=quiz.id,
            position=position,
            text=question.text,
            options=list(question.options),
            correct=question.correct,
        )
        for position, question in enumerate(draft.questions, 1)
    )
    await session.flush()
    return quiz


async def summaries(session: AsyncSession, *, now: datetime, limit: int = 20) -> list[Summary]:
    quizzes = list(await session.scalars(select(Quiz).order_by(Quiz.id.desc()).limit(limit)))
    return [await _summary(session, quiz, now) for quiz in quizzes]


async def detail(session: AsyncSession, quiz_id: int, *, now: datetime) -> Detail | None:
    quiz = await session.get(Quiz, quiz_id)
    if quiz is None:
        return None
    return Detail(await _summary(session, quiz, now), await _questions_of(session, quiz.id))


async def publish(session: AsyncSession, quiz_id: int, *, now: datetime) -> tuple[Quiz, bool]:
    """A draft goes live (members see it from its first day). Publishing twice is harmless:
    the second time says nothing changed."""
    quiz = await session.get(Quiz, quiz_id, with_for_update=True)
    if quiz is None:
        raise QuizError("unknown")
    if quiz.status == QuizStatus.CLOSED:
        raise QuizError("closed")
    if quiz.status != QuizStatus.DRAFT:
        return quiz, False
    if quiz.ends_at <= now:
        raise QuizError("ended")
    quiz.status, quiz.published_at = QuizStatus.PUBLISHED.value, now
    await session.flush()
    return quiz, True


async def close(session: AsyncSession, quiz_id: int, *, now: datetime) -> tuple[Quiz, bool]:
    """No more answers from now on; a closed draft is simply put away."""
    quiz = await session.get(Quiz, quiz_id, with_for_update=True)
    if quiz is None:
        raise QuizError("unknown")
    if quiz.status == QuizStatus.CLOSED:
        return quiz, False
    quiz.status, quiz.closed_at = QuizStatus.CLOSED.value, now
    await session.flush()
    return quiz, True


async def announcement(session: AsyncSession, quiz_id: int) -> Announcement | None:
    """Hand-over point for the broadcast feature, which does not exist yet: when it does, it
    sends this to the recipients after a quiz is published. Nothing is sent from here."""
    quiz = await session.get(Quiz, quiz_id)
    if quiz is None or quiz.status != QuizStatus.PUBLISHED:
        return None
    rows = await session.execute(
        select(Member.telegram_id, Member.language)
        .where(Member.promo_opt_in, Member.unreachable_at.is_(None))
        .order_by(Member.id)
    )
    return Announcement(
        quiz_id=quiz.id,
        title=quiz.title,
        starts_at=quiz.starts_at,
        ends_at=quiz.ends_at,
        points_per_correct=quiz.points_per_correct,
        completion_bonus=quiz.completion_bonus,
        questions=len(await _questions_of(session, quiz.id)),
        recipients=[(telegram_id, language) for telegram_id, language in rows],
    )


@dataclass(frozen=True, slots=True)
class Listing:
    """An open quiz as one member sees it."""

    quiz: Quiz
    questions: int
    answered: int
    finished: bool
    correct: int
    points: int


@dataclass(frozen=True, slots=True)
class Result:
    correct: int
    total: int
    points: int  # everything the attempt paid, the completion bonus included
    bonus: int
    new_badges: tuple[achievements.Badge, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    """Where a member is in a quiz: the question to answer now, or the result."""

    attempt_id: int
    title: str
    number: int
    total: int
    question: QuizQuestion | None
    result: Result | None = None


class AnswerStatus(StrEnum):
    ACCEPTED = "accepted"
    REPEATED = "repeated"  # this question was answered already: nothing changes
    STALE = "stale"  # not this member's, or not a question of this quiz
    CLOSED = "closed"  # the quiz stopped taking answers


@dataclass(frozen=True, slots=True)
class Answered:
    status: AnswerStatus
    question: QuizQuestion | None = None
    chosen: int = -1
    correct: bool = False
    next: Step | None = None


async def open_for_member(
    session: AsyncSession, member_id: int, *, now: datetime
) -> list[Listing]:
    quizzes = list(
        await session.scalars(
            select(Quiz)
            .where(
                Quiz.status == QuizStatus.PUBLISHED.value,
                Quiz.starts_at <= now,
                Quiz.ends_at > now,
            )
            .order_by(Quiz.ends_at, Quiz.id)
        )
    )
    listings = []
    for quiz in quizzes:
        attempt = await session.scalar(
            select(QuizAttempt).where(
                QuizAttempt.quiz_id == quiz.id, QuizAttempt.member_id == member_id
            )
        )
        answered = await _answered(session, attempt.id) if attempt else 0
        listings.append(
            Listing(
                quiz=quiz,
                questions=len(await _questions_of(session, quiz.id)),
                answered=answered,
                finished=bool(attempt and attempt.finished_at),
                correct=attempt.correct if attempt else 0,
                points=attempt.points if attempt else 0,
            )
        )
    return listings


async def begin(session: AsyncSession, quiz_id: int, member_id: int, *, now: datetime) -> Step:
    """Start the member's one attempt, or pick it up where they left it (or show its result)."""
    quiz = await session.get(Quiz, quiz_id)
    if quiz is None:
        raise QuizError("unknown")
    attempt = await _attempt_of(session, quiz.id, member_id)
    if attempt is None:
        current = state(quiz, now)
        if current is not QuizState.OPEN:
            raise QuizError("not-started" if current is QuizState.SCHEDULED else "closed")
        await session.execute(
            insert_for(session)(QuizAttempt)
            .values(quiz_id=quiz.id, member_id=member_id, started_at=now, correct=0, points=0)
            .on_conflict_do_nothing()
        )
        attempt = await _attempt_of(session, quiz.id, member_id)
        assert attempt is not None
    elif attempt.finished_at is None and state(quiz, now) is not QuizState.OPEN:
        raise QuizError("closed")
    return await _step(session, quiz, attempt)


async def answer(
    session: AsyncSession,
    program: Program,
    *,
    member_id: int,
    attempt_id: int,
    question_id: int,
    option: int,
    now: datetime,
) -> Answered:
    """Record one answer. Only the first answer to a question counts; the last one pays."""
    attempt = await session.get(QuizAttempt, attempt_id, with_for_update=True)
    question = await session.get(QuizQuestion, question_id)
    if (
        attempt is None
        or attempt.member_id != member_id
        or question is None
        or question.quiz_id != attempt.quiz_id
        or not 0 <= option < len(question.options)
    ):
        return Answered(AnswerStatus.STALE)
    quiz = await session.get(Quiz, attempt.quiz_id)
    assert quiz is not None
    given = await session.scalar(
        select(QuizAnswer).where(
            QuizAnswer.attempt_id == attempt.id, QuizAnswer.question_id == question.id
        )
    )
    if given is not None or attempt.finished_at is not None:
        return Answered(
            AnswerStatus.REPEATED,
            question,
            given.option if given else -1,
            bool(given and given.correct),
            await _step(session, quiz, attempt),
        )
    if state(quiz, now) is not QuizState.OPEN:
        return Answered(AnswerStatus.CLOSED, question)
    right = option == question.correct
    inserted = await session.scalar(
        insert_for(session)(QuizAnswer)
        .values(
            attempt_id=attempt.id,
            question_id=question.id,
            option=option,
            correct=right,
            answered_at=now,
        )
        .on_conflict_do_nothing()
        .returning(QuizAnswer.id)
    )
    if inserted is None:  # a second tap that raced the first
        return Answered(
            AnswerStatus.REPEATED, question, option, right, await _step(session, quiz, attempt)
        )
    step = await _step(session, quiz, attempt)
    if step.question is None:
        step = await _finish(session, program, quiz, attempt, now=now)
    return Answered(AnswerStatus.ACCEPTED, question, option, right, step)


async def _finish(
    session: AsyncSession, program: Program, quiz: Quiz, attempt: QuizAttempt, *, now: datetime
) -> Step:
    total = len(await _questions_of(session, quiz.id))
    correct = (
        await session.scalar(
            select(func.count()).where(
                QuizAnswer.attempt_id == attempt.id, QuizAnswer.correct.is_(True)
            )
        )
        or 0
    )
    points = correct * quiz.points_per_correct + quiz.completion_bonus
    claimed = await session.scalar(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.finished_at.is_(None))
        .values(finished_at=now, correct=correct, points=points)
        .returning(QuizAttempt.id)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(attempt)
    badges: tuple[achievements.Badge, ...] = ()
    if claimed is not None:
        if points:
            await ledger.post(
                session,
                member_id=attempt.member_id,
                delta=points,
                kind=EntryKind.BONUS,
                idempotency_key=f"quiz:{attempt.id}",
                now=now,
                reason=f"🎯 {quiz.title}",
                reference=f"quiz:{quiz.id}",
                expires_at=wallet.points_expiry(program, now),
            )
        if await achievements.award(
            session, program, attempt.member_id, achievements.Badge.FIRST_QUIZ, now=now
        ):
            badges = (achievements.Badge.FIRST_QUIZ,)
    return Step(
        attempt_id=attempt.id,
        title=quiz.title,
        number=total,
        total=total,
        question=None,
        result=Result(
            correct=attempt.correct,
            total=total,
            points=attempt.points,
            bonus=quiz.completion_bonus,
            new_badges=badges,
        ),
    )


async def _step(session: AsyncSession, quiz: Quiz, attempt: QuizAttempt) -> Step:
    questions = await _questions_of(session, quiz.id)
    answered = set(
        await session.scalars(
            select(QuizAnswer.question_id).where(QuizAnswer.attempt_id == attempt.id)
        )
    )
    pending = [question for question in questions if question.id not in answered]
    if attempt.finished_at is not None or not pending:
        result = (
            Result(
                correct=attempt.correct,
                total=len(questions),
                points=attempt.points,
                bonus=quiz.completion_bonus,
            )
            if attempt.finished_at is not None
            else None
        )
        return Step(attempt.id, quiz.title, len(questions), len(questions), None, result)
    return Step(
        attempt_id=attempt.id,
        title=quiz.title,
        number=len(questions) - len(pending) + 1,
        total=len(questions),
        question=pending[0],
    )


async def _summary(session: AsyncSession, quiz: Quiz, now: datetime) -> Summary:
    attempts, finished = (
        await session.execute(
            select(func.count(), func.count(QuizAttempt.finished_at)).where(
                QuizAttempt.quiz_id == quiz.id
            )
        )
    ).one()
    return Summary(
        quiz=quiz,
        state=state(quiz, now),
        questions=len(await _questions_of(session, quiz.id)),
        attempts=attempts,
        finished=finished,
    )


async def _questions_of(session: AsyncSession, quiz_id: int) -> list[QuizQuestion]:
    return list(
        await session.scalars(
            select(QuizQuestion)
            .where(QuizQuestion.quiz_id == quiz_id)
            .order_by(QuizQuestion.position)
        )
    )


async def _attempt_of(session: AsyncSession, quiz_id: int, member_id: int) -> QuizAttempt | None:
    return await session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.quiz_id == quiz_id, QuizAttempt.member_id == member_id
        )
    )


async def _answered(session: AsyncSession, attempt_id: int) -> int:
    count = await session.scalar(select(func.count()).where(QuizAnswer.attempt_id == attempt_id))
    return int(count or 0)
