"""The one settings module: every configurable value is read from the environment here.

Defaults are the embedded local set-up (SQLite under ``var/``, no tokens), so ``make run``
works on a fresh machine; production overrides them with environment variables.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _secret(name: str) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker and Kubernetes secrets).
    Never from the command line: argv is visible to every local user in `ps`."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    path = os.environ.get(f"{name}_FILE", "").strip()
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ValueError(f"{name}_FILE names a file that cannot be read ({error.__class__.__name__})") from error


# How a yes/no setting may be written (ACTIONS_IN_PROCESS).
TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")


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
    # `make run` starts this many Rasa servers, on RASA_PORT, RASA_PORT+1...; more than one needs
    # REDIS_URL (Rasa's lock store: one user's turns one at a time across replicas).
    rasa_replicas: int = field(default_factory=lambda: _env_int("RASA_REPLICAS", 1))
    # Turns at work at once in one Rasa server, first come first served (bot/turn_gate.py); 0: no limit.
    rasa_turns_at_once: int = field(default_factory=lambda: _env_int("RASA_TURNS_AT_ONCE", 1))
    # Where Rasa calls the actions; empty: the action server `make run` starts on ACTION_PORT.
    # Containers name another host (http://actions:5055/webhook).
    action_server_url: str = field(default_factory=lambda: _env("ACTION_SERVER_URL", ""))
    # Custom actions run inside each Rasa server unless this is false (or ACTION_SERVER_URL names
    # a separate action server): the HTTP round trip cost a third of a turn (bot/in_process_actions.py).
    actions_in_process_setting: str = field(default_factory=lambda: _env("ACTIONS_IN_PROCESS", "true").lower())
    # A replica holds an inbox message this long while answering it; a message whose lease ran out
    # (its replica died) is answered by another replica at its next look, every INBOX_REPLAY_SECONDS.
    inbox_lease_seconds: int = field(default_factory=lambda: _env_int("INBOX_LEASE_SECONDS", 90))
    inbox_replay_seconds: float = field(default_factory=lambda: _env_float("INBOX_REPLAY_SECONDS", 30.0))
    # Language used before we know anything about the user: the audience is Indonesian.
    # "production" turns the start-up checks into refusals: no open REST channel, HTTPS console.
    environment: str = field(default_factory=lambda: _env("APP_ENV", "local").lower())
    # Address every server listens on. Loopback by default: the action server and the console are
    # internal, and in production a TLS proxy on the same host (or a container network) forwards
    # the public webhooks. Anything else must be set on purpose and passes the start-up check
    # only with the action server's token set.
    bind_host: str = field(default_factory=lambda: _env("BIND_HOST", "127.0.0.1"))
    # Shared secret between Rasa and the action server (header X-Action-Token); `make run` makes
    # one up per start when unset, so the action server never runs unauthenticated.
    action_server_token: str = field(default_factory=lambda: _secret("ACTION_SERVER_TOKEN"))
    # The public REST channel: "on" (local default), "token" (callers send
    # Authorization: Bearer REST_CHANNEL_TOKEN) or "off". Production allows only token or off.
    rest_channel: str = field(default_factory=lambda: _env("REST_CHANNEL", "on").lower())
    rest_channel_token: str = field(default_factory=lambda: _secret("REST_CHANNEL_TOKEN"))
    # Proxies in front of the servers whose X-Forwarded-For is trusted (0: use the peer address).
    trusted_proxy_hops: int = field(default_factory=lambda: _env_int("TRUSTED_PROXY_HOPS", 0))
    database_url: str = field(
        # The URLs hold passwords: like every secret, NAME or NAME_FILE.
        default_factory=lambda: _secret("DATABASE_URL") or f"sqlite:///{PROJECT_ROOT / 'var' / 'app.db'}"
    )
    # Rasa's conversations (tracker store); PostgreSQL in production.
    tracker_store_url: str = field(
        default_factory=lambda: (
            _secret("TRACKER_STORE_URL")
            or f"sqlite:///{Path(_env('VAR_DIR', str(PROJECT_ROOT / 'var'))) / 'tracker.db'}"
        )
    )
    # Token for Rasa's HTTP API (/model/parse, /conversations/...: it can read and change any
    # conversation). Empty: `make run` makes up one per start, so the API is never open.
    rasa_api_token: str = field(default_factory=lambda: _secret("RASA_API_TOKEN"))
    # Rasa's lock store; empty means Rasa's in-memory locks (fine for one process).
    redis_url: str = field(default_factory=lambda: _secret("REDIS_URL"))
    registry_csv: Path = field(
        default_factory=lambda: Path(
            _env("REGISTRY_CSV", str(PROJECT_ROOT / "content" / "registry" / "sample_registry.csv"))
        )
    )
    # Wrong case codes or PINs allowed per person trying (their chat, and their address on REST)
    # before their status checks pause for a while. The reporter's own chat is counted apart, so
    # somebody else guessing cannot lock the reporter out.
    max_pin_failures: int = field(default_factory=lambda: _env_int("MAX_PIN_FAILURES", 5))
    pin_lock_minutes: int = field(default_factory=lambda: _env_int("PIN_LOCK_MINUTES", 15))
    # Rate limits per hour (status checks) and per day (reports), per chat and per address.
    status_checks_per_hour: int = field(default_factory=lambda: _env_int("STATUS_CHECKS_PER_HOUR", 20))
    status_checks_per_hour_per_address: int = field(
        default_factory=lambda: _env_int("STATUS_CHECKS_PER_HOUR_PER_ADDRESS", 60)
    )
    reports_per_day: int = field(default_factory=lambda: _env_int("REPORTS_PER_DAY", 5))
    reports_per_day_per_address: int = field(default_factory=lambda: _env_int("REPORTS_PER_DAY_PER_ADDRESS", 20))
    # REST messages per minute per address and per sender (flood control before any turn runs).
    rest_messages_per_minute: int = field(default_factory=lambda: _env_int("REST_MESSAGES_PER_MINUTE", 30))
    rest_messages_per_minute_per_address: int = field(
        default_factory=lambda: _env_int("REST_MESSAGES_PER_MINUTE_PER_ADDRESS", 120)
    )
    # More staff alerts than this due at once are sent as one batched message.
    alert_batch_threshold: int = field(default_factory=lambda: _env_int("ALERT_BATCH_THRESHOLD", 3))
    # Retention (UU 27/2022): conversations not linked to any report are purged after this many
    # days; closed (resolved or dismissed) reports lose their personal data after this many.
    retention_conversation_days: int = field(default_factory=lambda: _env_int("RETENTION_CONVERSATION_DAYS", 90))
    retention_closed_report_days: int = field(default_factory=lambda: _env_int("RETENTION_CLOSED_REPORT_DAYS", 365))
    # How often `python -m bot.privacy.maintenance` runs the retention policy (and once at start).
    retention_interval_hours: int = field(default_factory=lambda: _env_int("RETENTION_INTERVAL_HOURS", 24))
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "INFO"))

    # --- Telegram (bot/channels/telegram.py): enabled when the token is set ---
    telegram_bot_token: str = field(default_factory=lambda: _secret("TELEGRAM_BOT_TOKEN"))
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token; updates without it are refused.
    telegram_webhook_secret: str = field(default_factory=lambda: _secret("TELEGRAM_WEBHOOK_SECRET"))
    # python-telegram-bot's base_url: tests and self-hosted Bot API servers point it elsewhere.
    telegram_api_base_url: str = field(
        default_factory=lambda: _env("TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot")
    )
    # Public HTTPS address of /webhooks/telegram/webhook; when set, registered at start-up.
    telegram_webhook_url: str = field(default_factory=lambda: _env("TELEGRAM_WEBHOOK_URL", ""))

    # --- WhatsApp Cloud API (bot/channels/whatsapp.py): enabled when all four secrets are set ---
    whatsapp_access_token: str = field(default_factory=lambda: _secret("WHATSAPP_ACCESS_TOKEN"))
    whatsapp_app_secret: str = field(default_factory=lambda: _secret("WHATSAPP_APP_SECRET"))
    whatsapp_verify_token: str = field(default_factory=lambda: _secret("WHATSAPP_VERIFY_TOKEN"))
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
    console_base_url: str = field(default_factory=lambda: _env("CONSOLE_BASE_URL", "http://localhost:8080").rstrip("/"))
    # How often the notifier (python -m bot.alerts.notifier) looks for alerts to send.
    alert_poll_seconds: float = field(default_factory=lambda: _env_float("ALERT_POLL_SECONDS", 5.0))
    # Alerts sent one by one per minute, across all reports (Telegram takes about 20 a minute in
    # a group); beyond it the rest go out together in one batched alert (bot/alerts/notifier.py).
    alert_messages_per_minute: int = field(default_factory=lambda: _env_int("ALERT_MESSAGES_PER_MINUTE", 20))

    # --- Staff console (console/): web app for reviewers and admins ---
    console_port: int = field(default_factory=lambda: _env_int("CONSOLE_PORT", 8080))
    # Signs the session cookie; when unset, one is generated once and kept in VAR_DIR/console_secret.
    console_secret_key: str = field(default_factory=lambda: _secret("CONSOLE_SECRET_KEY"))
    # Keys the hash of the reporters' PINs (bot/reports/codes.py): kept outside the database, so a
    # copy of the database cannot test PINs. When unset, one is generated once and kept in
    # VAR_DIR/report_pin_key (bot/kept_secrets.py). Changing it makes every existing PIN wrong.
    report_pin_key: str = field(default_factory=lambda: _secret("REPORT_PIN_KEY"))
    # First admin account, created at console start-up when there are no staff users yet.
    staff_admin_user: str = field(default_factory=lambda: _env("STAFF_ADMIN_USER", ""))
    staff_admin_password: str = field(default_factory=lambda: _secret("STAFF_ADMIN_PASSWORD"))
    # Wrong passwords allowed per username from one address (4x that per address, any username)
    # before sign-in locks there for a while; the owner elsewhere is not locked out.
    console_max_login_failures: int = field(default_factory=lambda: _env_int("CONSOLE_MAX_LOGIN_FAILURES", 5))
    console_lock_minutes: int = field(default_factory=lambda: _env_int("CONSOLE_LOCK_MINUTES", 15))
    # Bearer tokens for the console API expire after this many days.
    console_token_days: int = field(default_factory=lambda: _env_int("CONSOLE_TOKEN_DAYS", 90))
    # The console shows times in this zone (an IANA name): the staff work in Jakarta time.
    console_timezone: str = field(default_factory=lambda: _env("CONSOLE_TIMEZONE", "Asia/Jakarta"))
    # The console's language when a staff member has not picked one ("id" or "en"; ?lang= switches).
    console_language: str = field(default_factory=lambda: _env("CONSOLE_LANGUAGE", "id"))

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def whatsapp_enabled(self) -> bool:
        return all(
            (
                self.whatsapp_access_token,
                self.whatsapp_app_secret,
                self.whatsapp_verify_token,
                self.whatsapp_phone_number_id,
            )
        )

    @property
    def staff_alerts_enabled(self) -> bool:
        return bool(self.telegram_bot_token and self.staff_telegram_chat_id)

    def secrets(self) -> Dict[str, str]:
        """Every secret setting by name (for the start-up check; never for logging)."""
        return {
            "RASA_API_TOKEN": self.rasa_api_token,
            "ACTION_SERVER_TOKEN": self.action_server_token,
            "REST_CHANNEL_TOKEN": self.rest_channel_token,
            "TELEGRAM_BOT_TOKEN": self.telegram_bot_token,
            "TELEGRAM_WEBHOOK_SECRET": self.telegram_webhook_secret,
            "WHATSAPP_ACCESS_TOKEN": self.whatsapp_access_token,
            "WHATSAPP_APP_SECRET": self.whatsapp_app_secret,
            "WHATSAPP_VERIFY_TOKEN": self.whatsapp_verify_token,
            "CONSOLE_SECRET_KEY": self.console_secret_key,
            "REPORT_PIN_KEY": self.report_pin_key,
            "STAFF_ADMIN_PASSWORD": self.staff_admin_password,
        }

    def security_problems(self) -> List[str]:
        """Settings a server must refuse to start with; each message names the setting."""
        problems = [problem for name, value in self.secrets().items() for problem in secret_problems(name, value)]
        for name, url in (
            ("DATABASE_URL", self.database_url),
            ("TRACKER_STORE_URL", self.tracker_store_url),
            ("REDIS_URL", self.redis_url),
        ):
            if url and re.search(r"change[-_ ]?me", url, re.IGNORECASE):
                problems.append(f"{name} still holds the example password (CHANGE-ME): set the real one.")
        if self.environment not in ("local", "production"):
            problems.append(f"APP_ENV must be 'local' or 'production', not {self.environment!r}.")
        if self.rest_channel not in ("on", "token", "off"):
            problems.append(f"REST_CHANNEL must be 'on', 'token' or 'off', not {self.rest_channel!r}.")
        if self.rest_channel == "token" and not self.rest_channel_token:
            problems.append("REST_CHANNEL=token needs REST_CHANNEL_TOKEN (callers send Authorization: Bearer …).")
        if self.environment == "production":
            if self.rest_channel == "on":
                problems.append(
                    "REST_CHANNEL=on lets anyone chat without a platform account: in production set "
                    "REST_CHANNEL=off, or REST_CHANNEL=token with REST_CHANNEL_TOKEN."
                )
            if not self.console_base_url.startswith("https://"):
                problems.append("CONSOLE_BASE_URL must be an https:// address in production (secure cookies, HSTS).")
            if self.log_level.upper() == "DEBUG":
                problems.append("LOG_LEVEL=DEBUG writes what users type to the log: not in production.")
            for name in ("RASA_API_TOKEN", "ACTION_SERVER_TOKEN", "CONSOLE_SECRET_KEY", "REPORT_PIN_KEY"):
                if not self.secrets()[name]:
                    problems.append(f"{name} must be set in production (every replica needs the same value).")
        if not is_loopback(self.bind_host) and not self.action_server_token:
            problems.append(
                f"BIND_HOST={self.bind_host} needs ACTION_SERVER_TOKEN (it seals status-check data "
                "shared by the replicas, and guards a separate action server)."
            )
        return problems

    @property
    def actions_in_process(self) -> bool:
        return not self.action_server_url and self.actions_in_process_setting not in FALSE_WORDS

    def scaling_problems(self) -> List[str]:
        """Replica settings `make run` cannot honour (checked at start-up)."""
        problems: List[str] = []
        if not 0 <= self.rasa_turns_at_once <= 64:
            problems.append(f"RASA_TURNS_AT_ONCE must be between 0 and 64, not {self.rasa_turns_at_once}.")
        if not 1 <= self.rasa_replicas <= 16:
            problems.append(f"RASA_REPLICAS must be between 1 and 16, not {self.rasa_replicas}.")
        elif self.rasa_replicas > 1 and not self.redis_url:
            # Without a shared lock store two replicas can run one user's turns at the same time and
            # overwrite each other's conversation state.
            problems.append("RASA_REPLICAS above 1 needs REDIS_URL (Rasa's lock store, shared by the replicas).")
        if self.actions_in_process_setting not in TRUE_WORDS + FALSE_WORDS:
            problems.append(f"ACTIONS_IN_PROCESS must be true or false, not {self.actions_in_process_setting[:20]!r}.")
        if self.inbox_lease_seconds < 10:
            problems.append("INBOX_LEASE_SECONDS must be at least 10 (a turn must finish within its lease).")
        return problems

    def channel_problems(self) -> List[str]:
        """Settings that would leave a channel open or half-configured (checked at start-up)."""
        problems: List[str] = []
        if self.telegram_enabled and not self.telegram_webhook_secret:
            problems.append(
                "TELEGRAM_WEBHOOK_SECRET must be set when TELEGRAM_BOT_TOKEN is set "
                "(updates without the secret are refused)."
            )
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


# Text copied from deploy/production.env.example and other stand-ins that must never go live.
_PLACEHOLDER = re.compile(r"change[-_ ]?me|changeit|placeholder|example|secret123|password123|xxxx", re.IGNORECASE)
# Secrets we choose ourselves must be long random strings; the platforms' own (bot token, app
# secret, access token) have their own formats and are only checked for placeholders.
MIN_SECRET_CHARS = 32
SELF_CHOSEN_SECRETS = (
    "RASA_API_TOKEN",
    "ACTION_SERVER_TOKEN",
    "REST_CHANNEL_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "CONSOLE_SECRET_KEY",
    "REPORT_PIN_KEY",
)
MIN_ADMIN_PASSWORD_CHARS = 12


def secret_problems(name: str, value: str) -> List[str]:
    if not value:
        return []
    if _PLACEHOLDER.search(value):
        return [
            f'{name} is a placeholder: put a real secret in it (e.g. `python -c "import secrets; '
            f'print(secrets.token_urlsafe(32))"`).'
        ]
    if name in SELF_CHOSEN_SECRETS and len(value) < MIN_SECRET_CHARS:
        return [f"{name} is too short: use at least {MIN_SECRET_CHARS} random characters."]
    if name == "STAFF_ADMIN_PASSWORD" and len(value) < MIN_ADMIN_PASSWORD_CHARS:
        return [f"STAFF_ADMIN_PASSWORD is too short: use at least {MIN_ADMIN_PASSWORD_CHARS} characters."]
    return []


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class _Reading:
    """One reading of the settings, with what it was read from."""

    environment: Dict[Any, Any]  # a copy of os.environ's undecoded mapping
    secret_files: Tuple[str, ...]  # the paths the NAME_FILE variables name
    file_states: Tuple[Any, ...]
    settings: "Settings"


_last_reading: List[_Reading] = []


def _undecoded_environment() -> Dict[Any, Any]:
    # os.environ's undecoded mapping (CPython's own) compares in microseconds; decoding every
    # variable would cost more than reading the settings.
    raw = getattr(os.environ, "_data", None)
    return raw if isinstance(raw, dict) else dict(os.environ)


def _secret_files(environment: Dict[Any, Any]) -> Tuple[str, ...]:
    suffix = b"_FILE" if any(isinstance(name, bytes) for name in environment) else "_FILE"
    return tuple(
        os.fsdecode(value).strip()  # as _secret reads it
        for name, value in environment.items()
        if name.endswith(suffix)
    )


def _file_states(paths: Tuple[str, ...]) -> Tuple[Any, ...]:
    states: List[Optional[Tuple[int, int, int, int]]] = []
    for path in paths:
        try:
            stat = os.stat(path)
            states.append((stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size))
        except OSError:
            states.append(None)
    return tuple(states)


def get_settings() -> Settings:
    """The settings of the current environment. Read again whenever the environment (or a secret
    file it names) changed, so tests can change it per test; otherwise the last reading: actions
    ask several times per turn, and reading ~80 variables each time was 2% of a turn's CPU (and
    copying the environment to compare it, 2.6% of the Rasa server's CPU in a yappi profile)."""
    environment = _undecoded_environment()
    last = _last_reading[0] if _last_reading else None
    if last is not None and last.environment == environment:
        file_states = _file_states(last.secret_files)
        if last.file_states == file_states:
            return last.settings
    # What the settings are read from, taken before reading them: a change made meanwhile (by
    # another thread) is then seen at the next call, not recorded as already read.
    seen = dict(environment)
    secret_files = _secret_files(seen)
    file_states = _file_states(secret_files)
    settings = Settings()
    _last_reading[:] = [_Reading(seen, secret_files, file_states, settings)]
    return settings
