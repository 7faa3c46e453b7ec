"""Settings from the environment (and an optional `.env`), with defaults that run as they are."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

log = logging.getLogger(__name__)

OFFICIAL_API_URL = "https://api.telegram.org"
SUPPORTED_LOCALES = ("ru", "en")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

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

    @field_validator("telegram_api_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

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
