"""The one settings module: every configurable value is read from the environment here.

Defaults are the embedded local set-up (SQLite under ``var/``, no tokens), so ``make run``
works on a fresh machine; production overrides them with environment variables.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from error


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a number, got {raw!r}") from error


@dataclass(frozen=True)
class Settings:
    project_root: Path = PROJECT_ROOT
    content_dir: Path = field(default_factory=lambda: Path(_env("CONTENT_DIR", str(PROJECT_ROOT / "content"))))
    var_dir: Path = field(default_factory=lambda: Path(_env("VAR_DIR", str(PROJECT_ROOT / "var"))))
    model_path: Path = field(
        default_factory=lambda: Path(_env("MODEL_PATH", str(PROJECT_ROOT / "models" / "guidance.tar.gz")))
    )
    rasa_port: int = field(default_factory=lambda: _env_int("RASA_PORT", 5005))
    action_port: int = field(default_factory=lambda: _env_int("ACTION_PORT", 5055))
    # Language used before we know anything about the user: the audience is Indonesian.
    default_language: str = field(default_factory=lambda: _env("DEFAULT_LANGUAGE", "id"))
    database_url: str = field(
        default_factory=lambda: _env("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'app.db'}")
    )
    # Rasa's conversations (tracker store); PostgreSQL in production.
    tracker_store_url: str = field(
        default_factory=lambda: _env(
            "TRACKER_STORE_URL", f"sqlite:///{Path(_env('VAR_DIR', str(PROJECT_ROOT / 'var'))) / 'tracker.db'}"
        )
    )
    # Token for Rasa's HTTP API (/model/parse, /conversations/...: it can read and change any
    # conversation). Empty: `make run` makes up one per start, so the API is never open.
    rasa_api_token: str = field(default_factory=lambda: _env("RASA_API_TOKEN", ""))
    # Rasa's lock store; empty means Rasa's in-memory locks (fine for one process).
    redis_url: str = field(default_factory=lambda: _env("REDIS_URL", ""))
    registry_csv: Path = field(
        default_factory=lambda: Path(_env("REGISTRY_CSV", str(PROJECT_ROOT / "content" / "registry" / "sample_registry.csv")))
    )
    # Wrong PINs allowed per report before the status check locks for a while.
    max_pin_failures: int = field(default_factory=lambda: _env_int("MAX_PIN_FAILURES", 5))
    pin_lock_minutes: int = field(default_factory=lambda: _env_int("PIN_LOCK_MINUTES", 15))
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "INFO"))

    # --- Telegram (bot/channels/telegram.py): enabled when the token is set ---
    telegram_bot_token: str = field(default_factory=lambda: _env("TELEGRAM_BOT_TOKEN", ""))
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; updates without it are refused.
    telegram_webhook_secret: str = field(default_factory=lambda: _env("TELEGRAM_WEBHOOK_SECRET", ""))
    # python-telegram-bot's base_url: tests and self-hosted Bot API servers point it elsewhere.
    telegram_api_base_url: str = field(
        default_factory=lambda: _env("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot")
    )
    # Public HTTPS address of /webhooks/telegram/webhook; when set, registered at start-up.
    telegram_webhook_url: str = field(default_factory=lambda: _env("TELEGRAM_WEBHOOK_URL", ""))

    # --- WhatsApp Cloud API (bot/channels/whatsapp.py): enabled when all four secrets are set ---
    whatsapp_access_token: str = field(default_factory=lambda: _env("WHATSAPP_ACCESS_TOKEN", ""))
    whatsapp_app_secret: str = field(default_factory=lambda: _env("WHATSAPP_APP_SECRET", ""))
    whatsapp_verify_token: str = field(default_factory=lambda: _env("WHATSAPP_VERIFY_TOKEN", ""))
    whatsapp_phone_number_id: str = field(default_factory=lambda: _env("WHATSAPP_PHONE_NUMBER_ID", ""))
    whatsapp_api_base_url: str = field(
        default_factory=lambda: _env("WHATSAPP_API_BASE_URL", "https://graph.facebook.com").rstrip("/")
    )
    whatsapp_api_version: str = field(default_factory=lambda: _env("WHATSAPP_API_VERSION", "v21.0"))
    # Approved message template for messages sent more than 24 hours after the user last wrote
    # (staff follow-ups); its one body parameter carries the text. Empty: such messages wait.
    whatsapp_template_name: str = field(default_factory=lambda: _env("WHATSAPP_TEMPLATE_NAME", ""))
    whatsapp_template_language: str = field(default_factory=lambda: _env("WHATSAPP_TEMPLATE_LANGUAGE", "id"))

    # --- Delivery to both platforms (bot/channels/delivery.py) ---
    send_max_attempts: int = field(default_factory=lambda: _env_int("SEND_MAX_ATTEMPTS", 5))
    # First back-off delay in milliseconds; it doubles per attempt (capped at 30 s).
    send_retry_base_ms: int = field(default_factory=lambda: _env_int("SEND_RETRY_BASE_MS", 500))

    # --- Staff alerts (bot/alerts/): urgent and high reports go to this Telegram chat ---
    staff_telegram_chat_id: str = field(default_factory=lambda: _env("STAFF_TELEGRAM_CHAT_ID", ""))
    console_base_url: str = field(
        default_factory=lambda: _env("CONSOLE_BASE_URL", "http://localhost:8080").rstrip("/")
    )
    # How often the notifier (python -m bot.alerts.notifier) looks for alerts to send.
    alert_poll_seconds: float = field(default_factory=lambda: _env_float("ALERT_POLL_SECONDS", 5.0))

    # --- Staff console (console/): web app for reviewers and admins ---
    console_port: int = field(default_factory=lambda: _env_int("CONSOLE_PORT", 8080))
    # Signs the session cookie; when unset, one is generated once and kept in VAR_DIR/console_secret.
    console_secret_key: str = field(default_factory=lambda: _env("CONSOLE_SECRET_KEY", ""))
    # First admin account, created at console start-up when there are no staff users yet.
    staff_admin_user: str = field(default_factory=lambda: _env("STAFF_ADMIN_USER", ""))
    staff_admin_password: str = field(default_factory=lambda: _env("STAFF_ADMIN_PASSWORD", ""))
    # Wrong passwords allowed per username before sign-in locks for a while.
    console_max_login_failures: int = field(default_factory=lambda: _env_int("CONSOLE_MAX_LOGIN_FAILURES", 5))
    console_lock_minutes: int = field(default_factory=lambda: _env_int("CONSOLE_LOCK_MINUTES", 15))

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def whatsapp_enabled(self) -> bool:
        return all((self.whatsapp_access_token, self.whatsapp_app_secret,
                    self.whatsapp_verify_token, self.whatsapp_phone_number_id))

    @property
    def staff_alerts_enabled(self) -> bool:
        return bool(self.telegram_bot_token and self.staff_telegram_chat_id)

    def channel_problems(self) -> List[str]:
        """Settings that would leave a channel open or half-configured (checked at start-up)."""
        problems: List[str] = []
        if self.telegram_enabled and not self.telegram_webhook_secret:
            problems.append("TELEGRAM_WEBHOOK_SECRET must be set when TELEGRAM_BOT_TOKEN is set "
                            "(updates without the secret are refused).")
        whatsapp = {
            "WHATSAPP_ACCESS_TOKEN": self.whatsapp_access_token,
            "WHATSAPP_APP_SECRET": self.whatsapp_app_secret,
            "WHATSAPP_VERIFY_TOKEN": self.whatsapp_verify_token,
            "WHATSAPP_PHONE_NUMBER_ID": self.whatsapp_phone_number_id,
        }
        missing = [name for name, value in whatsapp.items() if not value]
        if 0 < len(missing) < len(whatsapp):
            problems.append("WhatsApp is half-configured; also set " + ", ".join(missing) + ".")
        return problems


def get_settings() -> Settings:
    """Read the settings afresh (cheap), so tests can change the environment per test."""
    return Settings()
