"""Settings from the environment (and an optional `.env`), with defaults that run as they are."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)

OFFICIAL_API_URL = "https://api.telegram.org"
SUPPORTED_LOCALES = ("ru", "en")
WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
FREE_BROADCAST_RATE = 30


class Settings(BaseSettings):
    # An empty variable counts as unset (compose files pass `${VAR:-}` for optional ones).
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    bot_token: SecretStr
    telegram_api_url: str = OFFICIAL_API_URL
    data_dir: Path = Path("data")
    database_url: str = ""
    owner_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    secret_key: SecretStr | None = None
    timezone: str = "Europe/Moscow"
    card_token_ttl: int = Field(default=600, ge=0, description="seconds; 0 = never expires")
    default_locale: str = "ru"
    program_file: Path | None = None
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Production: PostgreSQL via DATABASE_URL; the rest below is optional.
    redis_url: str = ""
    webhook_url: str = ""
    webhook_host: str = "0.0.0.0"  # every interface: in a container, behind a proxy
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    metrics_host: str = "0.0.0.0"
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    alert_chat_id: int | None = None
    flood_limit: int = Field(default=20, ge=0, description="updates per window; 0 = off")
    flood_window: float = Field(default=10.0, gt=0, description="seconds")
    # Broadcasts: Telegram allows about 30 messages a second, up to 1000 as paid broadcasts.
    broadcast_paid: bool = False
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000, description="messages a second")
    # Outbound webhooks (`/webhooks`): not the WEBHOOK_* above, which is Telegram's webhook mode.
    outbound_webhook_timeout: float = Field(default=10.0, gt=0, le=60, description="seconds")
    outbound_webhook_max_attempts: int = Field(default=8, ge=1, le=20)
    # The HTTP API for cash registers and CRMs (`bot.api`): off unless API_PORT is set.
    api_host: str = "127.0.0.1"  # behind the shop's reverse proxy or on its own network
    api_port: int | None = Field(default=None, ge=1, le=65535)
    api_rate_limit: int = Field(default=120, ge=1, description="requests a minute per key")
    api_max_body: int = Field(default=16384, ge=256, description="bytes of a request body")

    @field_validator("owner_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(
                int(part) for part in value.replace(";", ",").split(",") if part.strip()
            )
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("telegram_api_url", "webhook_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("https", "http"):
            raise ValueError("must be an https:// URL that Telegram can reach")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET_RE.match(value.get_secret_value()):
            raise ValueError("1-256 characters: letters, digits, _ and - only (Telegram's rule)")
        return value

    @field_validator("broadcast_rate")
    @classmethod
    def _free_rate(cls, value: float, info: ValidationInfo) -> float:
        if value > FREE_BROADCAST_RATE and not info.data.get("broadcast_paid"):
            raise ValueError(
                f"above {FREE_BROADCAST_RATE} messages a second needs BROADCAST_PAID=true "
                "(paid broadcasts, charged in Telegram Stars)"
            )
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'loyalty.db'}"

    def card_secret(self) -> bytes:
        """The HMAC key for card tokens: `SECRET_KEY`, or one generated once and kept on disk."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret_key"
        if not path.exists():
            log.warning(
                "SECRET_KEY is not set: generated one in %s. Keep that file (or set SECRET_KEY): "
                "without it every issued card QR stops working.",
                path,
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    @property
    def webhook_path(self) -> str:
        """Where the webhook server listens: the public URL's path, then `/webhook/<hash of
        the token>`, so that the address itself is hard to guess and never shows the token."""
        digest = hashlib.sha256(self.bot_token.get_secret_value().encode()).hexdigest()[:32]
        return f"{urlsplit(self.webhook_url).path.rstrip('/')}/webhook/{digest}"

    @property
    def webhook_endpoint(self) -> str:
        """The full URL given to Telegram's setWebhook."""
        parts = urlsplit(self.webhook_url)
        return f"{parts.scheme}://{parts.netloc}{self.webhook_path}"

    def webhook_secret_token(self) -> str:
        """The `secret_token` Telegram sends with every webhook request: `WEBHOOK_SECRET`, or
        one generated once and kept on disk like the card key. Instances behind one webhook
        must share it: set WEBHOOK_SECRET (or share DATA_DIR) when running several."""
        if self.webhook_secret is not None:
            return self.webhook_secret.get_secret_value()
        path = self.data_dir / "webhook_secret"
        if not path.exists():
            log.warning("WEBHOOK_SECRET is not set: generated one in %s.", path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()
