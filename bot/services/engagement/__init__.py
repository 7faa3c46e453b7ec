"""Scheduled engagement: birthday offers, points expiry and its reminders, win-back offers.

Domain code without aiogram. Each job takes an `Engagement` (a session pool, the program, the
translator, the business's time zone, a clock and a plain `send(telegram_id, text) -> bool`)
and fills a `JobReport`; `run_job` runs one copy at a time and records it in `job_runs`.
Jobs walk members in batches (one transaction each), so their memory does not grow with the
number of members. Exactly once comes from a unique row per gift (see each module).
"""

from __future__ import annotations

from bot.services.engagement.birthdays import give_birthday_offers
from bot.services.engagement.common import Engagement, JobReport, Send
from bot.services.engagement.expiry import expire_points, remind_expiring_points
from bot.services.engagement.runs import Job, JobStatus, last_runs, run_job
from bot.services.engagement.winback import send_winback_offers

# In the order they run at start-up: write off first, then remind, then the offers.
JOBS: dict[str, Job] = {
    "expire": expire_points,
    "expiry_reminders": remind_expiring_points,
    "birthday": give_birthday_offers,
    "winback": send_winback_offers,
}


async def run(ctx: Engagement, name: str) -> JobReport:
    """Run the job called `name` (a key of JOBS), one copy at a time, recorded in job_runs."""
    return await run_job(ctx, name, JOBS[name])


__all__ = [
    "JOBS",
    "Engagement",
    "JobReport",
    "JobStatus",
    "Send",
    "last_runs",
    "run",
    "run_job",
]
