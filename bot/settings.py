"""The one settings module: every configurable value is read from the environment here.

Defaults are the embedded local set-up (SQLite under ``var/``, no tokens), so ``make run``
works on a fresh machine; production overrides them with environment variables.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

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
    registry_csv: Path = field(
        default_factory=lambda: Path(_env("REGISTRY_CSV", str(PROJECT_ROOT / "content" / "registry" / "sample_registry.csv")))
    )
    # Wrong PINs allowed per report before the status check locks for a while.
    max_pin_failures: int = field(default_factory=lambda: _env_int("MAX_PIN_FAILURES", 5))
    pin_lock_minutes: int = field(default_factory=lambda: _env_int("PIN_LOCK_MINUTES", 15))
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "INFO"))


def get_settings() -> Settings:
    """Read the settings afresh (cheap), so tests can change the environment per test."""
    return Settings()
