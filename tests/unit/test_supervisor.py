"""`make run` supervises its processes (bot/serve.py): a child that exits is started again after
a back-off and the others go on serving; RASA_REPLICAS starts Rasa servers on consecutive ports."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from bot.serve import MAX_RESTART_SECONDS, Service, Supervisor, restart_delay, services, single_service
from bot.settings import Settings


def test_restart_back_off_doubles_up_to_its_cap() -> None:
    assert [restart_delay(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert restart_delay(50) == MAX_RESTART_SECONDS == 30.0


def test_a_child_that_exits_is_restarted_and_the_others_keep_running(tmp_path: Path, monkeypatch) -> None:
    starts = tmp_path / "starts"
    flaky = Service("flaky", [sys.executable, "-c", f"open({str(starts)!r}, 'a').write('x'); import sys; sys.exit(3)"])
    steady = Service("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor([flaky, steady], Settings(project_root=tmp_path))
    monkeypatch.setattr("bot.serve.FIRST_RESTART_SECONDS", 0.2)
    for service in supervisor.selected:
        supervisor.start(service)
    steady_pid = supervisor.processes["steady"].pid
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(starts.read_text() if starts.exists() else "") < 3:
            supervisor.check()
            time.sleep(0.05)
        assert len(starts.read_text()) >= 3, "the exited child was not started again"
        assert supervisor.processes["steady"].poll() is None and supervisor.processes["steady"].pid == steady_pid
        assert supervisor.failures["flaky"] >= 2  # crash-looping: the back-off grows
    finally:
        supervisor.stop_all()
    assert supervisor.processes["steady"].poll() is not None


def test_the_supervisor_stops_everything_on_sigterm(tmp_path: Path) -> None:
    steady = Service("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor([steady], Settings(project_root=tmp_path))
    # run() installs signal handlers, which only the main thread may do: flip the flag instead.
    threading.Timer(1.0, lambda: setattr(supervisor, "stopping", True)).start()
    assert supervisor.run() == 0
    assert supervisor.processes["steady"].poll() is not None


@pytest.mark.parametrize(
    "in_process, action_server_url, action_servers",
    [
        ("true", "", 0),  # the default: actions inside each Rasa server
        ("false", "", 1),  # one action server for all replicas
        ("true", "http://actions:5055/webhook", 0),  # another host runs it: nothing to start here
        ("false", "http://actions:5055/webhook", 0),
    ],
)
def test_replicas_get_consecutive_ports_and_at_most_one_action_server(
    in_process: str, action_server_url: str, action_servers: int
) -> None:
    settings = Settings(
        rasa_replicas=3,
        rasa_port=5005,
        redis_url="redis://127.0.0.1:6379/0",
        actions_in_process_setting=in_process,
        action_server_url=action_server_url,
    )
    selected = services(settings)
    rasa = [service for service in selected if service.name.startswith("rasa")]
    assert [service.name for service in rasa] == ["rasa-1", "rasa-2", "rasa-3"]
    assert [service.environment["RASA_PORT"] for service in rasa] == ["5005", "5006", "5007"]
    assert [service.name for service in selected].count("actions") == action_servers
    assert settings.actions_in_process == (in_process == "true" and not action_server_url)
    assert settings.scaling_problems() == []
    # A container can still run the action server alone (ACTIONS_IN_PROCESS=false elsewhere).
    assert single_service(settings, "actions").command[-1] == "bot.action_server"
    assert single_service(settings, "rasa").command == rasa[0].command


@pytest.mark.parametrize(
    "changes, problem",
    [
        (dict(rasa_replicas=2), "REDIS_URL"),
        (dict(rasa_replicas=0), "between 1 and 16"),
        (dict(rasa_replicas=17, redis_url="redis://127.0.0.1:6379/0"), "between 1 and 16"),
        (dict(inbox_lease_seconds=3), "INBOX_LEASE_SECONDS"),
        (dict(rasa_turns_at_once=-1), "RASA_TURNS_AT_ONCE must be between 0 and 64"),
        (dict(rasa_turns_at_once=65), "RASA_TURNS_AT_ONCE must be between 0 and 64"),
    ],
)
def test_replica_settings_that_cannot_work_are_refused(changes: dict, problem: str) -> None:
    [message] = Settings(**{"redis_url": "", **changes}).scaling_problems()
    assert problem in message


def test_an_unreadable_actions_in_process_setting_is_refused() -> None:
    problems = Settings(actions_in_process_setting="maybe").scaling_problems()
    assert problems == ["ACTIONS_IN_PROCESS must be true or false, not 'maybe'."]
