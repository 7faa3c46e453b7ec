# A small image: dependencies in one layer, the source in the next; runs as a non-root user.
FROM python:3.12-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data

# DejaVu fonts draw Cyrillic names on the QR card.
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 loyalty \
    && mkdir -p /data && chown loyalty /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot/__init__.py bot/__init__.py
COPY handlers/__init__.py handlers/__init__.py
COPY db/__init__.py db/__init__.py
RUN pip install .  && pip uninstall -y loyalty-wallet-bot

COPY alembic.ini ./
COPY bot bot
COPY handlers handlers
COPY db db
COPY locales locales

USER loyalty
VOLUME ["/data"]
# Webhook mode listens on 8080 (WEBHOOK_PORT); /metrics on METRICS_PORT when it is set.
EXPOSE 8080
# Asks the running bot's /healthz (the webhook port, else METRICS_PORT): the database must answer.
# Polling without METRICS_PORT listens on nothing, and the check passes while the process runs.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot", "healthcheck"]
# Migrations are applied at start by `python -m bot` itself.
CMD ["python", "-m", "bot"]
