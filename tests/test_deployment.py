"""What can be checked of the deployment without a Docker engine: compose.yaml, the Dockerfile,
the README's configuration table and the command line, against the settings the bot reads."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
VARIABLES = {name.upper() for name in Settings.model_fields}


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_the_bot_with_postgresql_and_redis():
    services = compose()["services"]
    assert set(services) == {"bot", "postgres", "redis"}
    bot = services["bot"]
    assert bot["build"] == "."
    assert bot["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    environment = bot["environment"]
    assert environment["DATABASE_URL"].startswith("postgresql://loyalty:")
    assert environment["DATABASE_URL"].endswith("@postgres:5432/loyalty")
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert set(environment) <= VARIABLES, "compose passes a variable the bot does not read"
    assert {"BOT_TOKEN", "SECRET_KEY", "WEBHOOK_URL", "METRICS_PORT"} <= set(environment)
    assert bot["healthcheck"]["test"] == ["CMD", "python", "-m", "bot", "healthcheck"]
    assert services["postgres"]["environment"]["POSTGRES_DB"] == "loyalty"


def test_compose_keeps_data_in_volumes_and_checks_health():
    document = compose()
    declared = set(document["volumes"])
    for name, service in document["services"].items():
        assert "healthcheck" in service, name
        assert service.get("restart") == "unless-stopped", name
        mounted = {volume.split(":")[0] for volume in service["volumes"]}
        assert mounted <= declared and mounted, name


def test_the_image_runs_as_a_user_and_checks_its_health():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(
        r"^HEALTHCHECK .*\n?.*python\", \"-m\", \"bot\", \"healthcheck", dockerfile, re.M
    )
    assert 'CMD ["python", "-m", "bot"]' in dockerfile


def test_every_variable_the_bot_reads_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", readme, re.MULTILINE))
    assert VARIABLES - documented == set()


async def test_the_command_line_lists_the_production_commands():
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--help", cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    assert b"migrate-data" in stdout and b"healthcheck" in stdout
