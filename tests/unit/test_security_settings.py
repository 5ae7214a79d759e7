"""Start-up refuses unsafe settings (issue 10, items 2-4): placeholder or short secrets, an open REST
channel in production, internal servers exposed without the action server's token; secrets come
from the environment or files, never the command line."""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.serve import child_environment, services, write_endpoints
from bot.settings import PROJECT_ROOT, get_settings, is_loopback, secret_problems

STRONG = "k3XvQ9w2Zr8yT5pL1mN7bH4cF6dJ0sAe"  # 32 random characters
PRODUCTION_ENV_EXAMPLE = PROJECT_ROOT / "deploy" / "production.env.example"


def example_values() -> dict:
    values = {}
    for line in PRODUCTION_ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name] = value
    return values


@pytest.mark.parametrize(
    "name",
    [
        "RASA_API_TOKEN",
        "CONSOLE_SECRET_KEY",
        "TELEGRAM_WEBHOOK_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
        "ACTION_SERVER_TOKEN",
        "REST_CHANNEL_TOKEN",
        "REPORT_PIN_KEY",
    ],
)
def test_every_placeholder_secret_of_the_example_file_is_refused_by_name(name: str, monkeypatch) -> None:
    value = example_values().get(name) or "CHANGE-ME-long-random"
    monkeypatch.setenv(name, value)
    problems = get_settings().security_problems()
    assert any(problem.startswith(name) and "placeholder" in problem for problem in problems), problems


def test_the_whole_example_file_as_given_does_not_start(monkeypatch) -> None:
    for name, value in example_values().items():
        monkeypatch.setenv(name, value)
    problems = get_settings().security_problems()
    named = {problem.split()[0] for problem in problems}
    assert {
        "RASA_API_TOKEN",
        "CONSOLE_SECRET_KEY",
        "DATABASE_URL",
        "TRACKER_STORE_URL",
        "ACTION_SERVER_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "WHATSAPP_VERIFY_TOKEN",
        "REPORT_PIN_KEY",
    } <= named


def test_short_self_chosen_secrets_are_refused_platform_ones_only_for_placeholders() -> None:
    assert secret_problems("CONSOLE_SECRET_KEY", "short-but-random") == [
        "CONSOLE_SECRET_KEY is too short: use at least 32 random characters."
    ]
    assert not secret_problems("CONSOLE_SECRET_KEY", STRONG)
    assert not secret_problems("WHATSAPP_APP_SECRET", "0123456789abcdef0123456789abcdef")
    [placeholder] = secret_problems("TELEGRAM_BOT_TOKEN", "123456:CHANGE-ME")
    assert placeholder.startswith("TELEGRAM_BOT_TOKEN is a placeholder: put a real secret in it")
    assert secret_problems("STAFF_ADMIN_PASSWORD", "admin123") == [
        "STAFF_ADMIN_PASSWORD is too short: use at least 12 characters."
    ]


def test_production_needs_rest_off_or_behind_a_token(monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("CONSOLE_BASE_URL", "https://console.example.org")
    for name in ("RASA_API_TOKEN", "ACTION_SERVER_TOKEN", "CONSOLE_SECRET_KEY"):
        monkeypatch.setenv(name, STRONG)
    # Replicas on other machines share no VAR_DIR to keep a generated PIN key in.
    assert any(problem.startswith("REPORT_PIN_KEY must be set") for problem in get_settings().security_problems())
    monkeypatch.setenv("REPORT_PIN_KEY", STRONG)
    assert any("REST_CHANNEL=on" in problem for problem in get_settings().security_problems())
    monkeypatch.setenv("REST_CHANNEL", "token")
    assert any("REST_CHANNEL_TOKEN" in problem for problem in get_settings().security_problems())
    monkeypatch.setenv("REST_CHANNEL_TOKEN", STRONG)
    assert get_settings().security_problems() == []
    monkeypatch.setenv("REST_CHANNEL", "off")
    assert get_settings().security_problems() == []


def test_internal_servers_stay_on_loopback_unless_told_and_protected(monkeypatch) -> None:
    assert get_settings().bind_host == "127.0.0.1"
    monkeypatch.setenv("BIND_HOST", "0.0.0.0")
    assert any("BIND_HOST" in problem for problem in get_settings().security_problems())
    monkeypatch.setenv("ACTION_SERVER_TOKEN", STRONG)
    assert get_settings().security_problems() == []
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.5")


def test_secrets_can_come_from_files(tmp_path: Path, monkeypatch) -> None:
    secret_file = tmp_path / "console_secret"
    secret_file.write_text(STRONG + "\n", encoding="utf-8")
    monkeypatch.delenv("CONSOLE_SECRET_KEY", raising=False)
    monkeypatch.setenv("CONSOLE_SECRET_KEY_FILE", str(secret_file))
    assert get_settings().console_secret_key == STRONG


@pytest.mark.parametrize("in_process", ["true", "false"])
def test_no_secret_is_on_any_command_line_and_the_endpoints_file_is_private(
    tmp_path: Path, monkeypatch, in_process: str
) -> None:
    monkeypatch.setenv("ACTIONS_IN_PROCESS", in_process)
    monkeypatch.delenv("ACTION_SERVER_URL", raising=False)
    monkeypatch.setenv("RASA_API_TOKEN", STRONG)
    monkeypatch.setenv("ACTION_SERVER_TOKEN", STRONG[::-1])
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:" + STRONG)
    monkeypatch.setenv("STAFF_TELEGRAM_CHAT_ID", "-100123")
    settings = dataclasses.replace(get_settings(), var_dir=tmp_path)
    for service in services(settings):
        command = " ".join(service.command)
        assert STRONG not in command and STRONG[::-1] not in command, service.name
    path = write_endpoints(settings)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    endpoints = yaml.safe_load(path.read_text(encoding="utf-8"))
    if in_process == "true":
        # Actions run inside Rasa (bot/in_process_actions.py): no action server, nothing to call.
        assert "action_endpoint" not in endpoints
        assert "actions" not in [service.name for service in services(settings)]
    else:
        assert endpoints["action_endpoint"]["headers"] == {"X-Action-Token": STRONG[::-1]}
        assert endpoints["action_endpoint"]["url"].startswith("http://127.0.0.1:")
        assert "actions" in [service.name for service in services(settings)]
    assert endpoints["tracker_store"]["type"] == "bot.storage.tracker_store.RedactingSQLTrackerStore"


@pytest.mark.parametrize("module", ["bot.rasa_server", "bot.action_server"])
def test_servers_refuse_to_start_with_a_placeholder_secret_and_say_which(module: str) -> None:
    env = child_environment()
    env.update({"RASA_API_TOKEN": "CHANGE-ME-long-random", "ACTION_SERVER_TOKEN": STRONG})
    result = subprocess.run(
        [sys.executable, "-m", module], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "RASA_API_TOKEN is a placeholder" in result.stderr
    assert "CHANGE-ME-long-random" not in result.stderr  # the value itself is never echoed


def test_conversation_ids_are_masked_in_every_log_record(caplog) -> None:
    import logging

    from bot.safe_logging import install_conversation_id_masking

    install_conversation_id_masking()
    with caplog.at_level(logging.WARNING):
        logging.getLogger("rasa.core.processor").warning(
            "Circuit breaker tripped for sender %s", "whatsapp:6281234567890"
        )
    assert "6281234567890" not in caplog.text and "whatsapp:…" in caplog.text


def test_every_process_sets_up_logging_one_way(monkeypatch) -> None:
    import logging

    from bot.safe_logging import configure_logging

    sources = {
        path: path.read_text()
        for folder in ("bot", "console", "actions")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
    }
    setting_up = sorted(
        str(path.relative_to(PROJECT_ROOT))
        for path, text in sources.items()
        if re.search(r"basicConfig|setLogRecordFactory|getLogger\(\"httpx\"\)", text)
    )
    assert setting_up == ["bot/safe_logging.py"]
    for entry_point in (
        "bot/serve.py",
        "bot/rasa_server.py",
        "bot/action_server.py",
        "bot/alerts/notifier.py",
        "bot/channels/telegram_polling.py",
        "bot/privacy/maintenance.py",
        "console/cli.py",
    ):
        assert "configure_logging(" in sources[PROJECT_ROOT / entry_point], entry_point
    monkeypatch.setattr(logging.getLogger("httpx"), "level", logging.NOTSET)
    configure_logging("INFO", handlers=False)
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING
    assert getattr(logging.getLogRecordFactory(), "masks_conversation_ids", False)


def test_debug_logging_is_refused_in_production(monkeypatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    assert any(problem.startswith("LOG_LEVEL=DEBUG") for problem in get_settings().security_problems())


def test_the_tracker_store_keeps_the_database_urls_options(tmp_path: Path, monkeypatch) -> None:
    from bot.serve import endpoints_yaml

    monkeypatch.setenv("TRACKER_STORE_URL", "postgresql://pandu:pw@db.internal:5432/pandu?sslmode=require")
    store = yaml.safe_load(endpoints_yaml(get_settings()))["tracker_store"]
    assert store["query"] == {"sslmode": "require"} and store["url"] == "db.internal"


def test_an_old_wide_open_endpoints_file_is_replaced_by_a_private_one(tmp_path: Path) -> None:
    path = tmp_path / "endpoints.yml"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o644)
    write_endpoints(dataclasses.replace(get_settings(), var_dir=tmp_path), path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and "tracker_store" in path.read_text(encoding="utf-8")


def test_the_data_folder_and_its_databases_are_private(tmp_path: Path) -> None:
    from bot.serve import make_private

    folder = tmp_path / "var"
    folder.mkdir(mode=0o755)
    (folder / "app.db").write_bytes(b"")
    (folder / "app.db").chmod(0o644)
    previous = os.umask(0o022)
    try:
        make_private(folder)
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(folder / "app.db").st_mode) == 0o600
        assert os.umask(0o022) == 0o077  # files created later are private too
    finally:
        os.umask(previous)


def test_the_settings_are_read_again_when_the_environment_or_a_secret_file_changes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RASA_PORT", "5111")
    first = get_settings()
    assert get_settings() is first  # unchanged: the same reading
    monkeypatch.setenv("RASA_PORT", "5112")
    assert get_settings().rasa_port == 5112
    secret_file = tmp_path / "api_token"
    secret_file.write_text(STRONG + "\n", encoding="utf-8")
    monkeypatch.delenv("RASA_API_TOKEN", raising=False)
    monkeypatch.setenv("RASA_API_TOKEN_FILE", f" {secret_file} ")  # spaces around the path, as _secret allows
    assert get_settings().rasa_api_token == STRONG
    secret_file.write_text(STRONG[::-1] + "\n", encoding="utf-8")  # rotated in place
    assert get_settings().rasa_api_token == STRONG[::-1]


def test_a_kept_secret_is_made_once_privately_and_shared_by_processes_starting_together(tmp_path: Path) -> None:
    import concurrent.futures
    import stat

    from bot.kept_secrets import kept_secret

    with concurrent.futures.ProcessPoolExecutor(4) as pool:
        made = set(pool.map(kept_secret, [tmp_path] * 16, ["report_pin_key"] * 16))
    assert len(made) == 1 and len(made.pop()) == 64
    assert stat.S_IMODE((tmp_path / "report_pin_key").stat().st_mode) == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["report_pin_key"]  # no draft left behind
    assert kept_secret(tmp_path, "report_pin_key") == (tmp_path / "report_pin_key").read_text()


def test_the_pin_key_is_the_settings_own_or_the_kept_one(tmp_path: Path, monkeypatch) -> None:
    from bot.kept_secrets import report_pin_key

    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    monkeypatch.delenv("REPORT_PIN_KEY", raising=False)
    kept = report_pin_key(get_settings())
    assert kept == report_pin_key(get_settings()) and (tmp_path / "report_pin_key").exists()
    monkeypatch.setenv("REPORT_PIN_KEY", STRONG)
    assert report_pin_key(get_settings()) not in (kept, STRONG.encode())  # derived, not the secret itself


@pytest.mark.parametrize("content", ["", "abc", "z" * 64, "0" * 63])
def test_a_kept_secret_file_that_holds_no_secret_is_refused(tmp_path: Path, content: str) -> None:
    """An empty key file (a crash while writing, an edit) would key every PIN hash with "": known to all."""
    from bot.kept_secrets import KeptSecretError, kept_secret

    (tmp_path / "report_pin_key").write_text(content)
    with pytest.raises(KeptSecretError, match="does not hold a secret"):
        kept_secret(tmp_path, "report_pin_key")
