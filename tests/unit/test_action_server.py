"""The action server (issue 10, items 2 and 7): loopback only, nothing runs without the token, bad
bodies get 400 without echoing anything, and one slow action does not hold up the others."""

from __future__ import annotations

import concurrent.futures
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Dict, Iterator, Optional, Tuple

import pytest

from bot.action_server import TOKEN_HEADER, decode_action_call, token_matches
from bot.serve import child_environment
from bot.settings import PROJECT_ROOT
from tests.servers import free_port, listening_addresses, stop_process, wait_until_up

TOKEN = "action-token-for-this-test-0123456789"
SLOW_SERVER = """
import sys
from bot.action_server import create_app
from bot.settings import get_settings
settings = get_settings()
create_app(settings, "tests.unit.slow_actions").run(host=settings.bind_host, port=settings.action_port, workers=1,
                                                    access_log=False)
"""


def call(name: str, sender: str = "rest:someone") -> Dict:
    return {
        "next_action": name,
        "sender_id": sender,
        "version": "3.6.2",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": {},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": None,
        },
    }


def post(port: int, body: bytes, token: Optional[str]) -> Tuple[int, Dict]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers[TOKEN_HEADER] = token
    request = urllib.request.Request(f"http://127.0.0.1:{port}/webhook", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def start(command, port: int) -> subprocess.Popen:
    env = child_environment()
    env.update({"ACTION_PORT": str(port), "ACTION_SERVER_TOKEN": TOKEN})
    env.pop("BIND_HOST", None)
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    wait_until_up(f"http://127.0.0.1:{port}/health", process, timeout=120)
    return process


@pytest.fixture(scope="module")
def actions_port() -> Iterator[int]:
    port = free_port()
    process = start([sys.executable, "-m", "bot.action_server"], port)
    try:
        yield port
    finally:
        stop_process(process)


def test_it_listens_on_loopback_only(actions_port: int) -> None:
    assert listening_addresses(actions_port) == {"127.0.0.1"}


@pytest.mark.parametrize("token", [None, "", "wrong-token", TOKEN + "x"])
def test_no_action_runs_without_the_token(actions_port: int, token: Optional[str]) -> None:
    status, body = post(actions_port, json.dumps(call("action_submit_report")).encode(), token)
    assert status == 401 and "events" not in body


def test_the_action_list_needs_the_token_too(actions_port: int) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://127.0.0.1:{actions_port}/actions", timeout=10)
    assert refused.value.code == 401


@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[" * 50000, b'{"next_action": 1}', '{"a": "\xff"}'.encode("latin-1")]
)
def test_bad_bodies_get_400_without_echo(actions_port: int, body: bytes) -> None:
    status, answer = post(actions_port, body, TOKEN)
    assert status == 400 and set(answer) == {"error"}


def test_an_authorised_call_runs(actions_port: int) -> None:
    status, body = post(actions_port, json.dumps(call("action_prefill_status")).encode(), TOKEN)
    assert status == 200 and isinstance(body.get("events"), list)


def test_unknown_action_is_404_without_the_tracker(actions_port: int) -> None:
    status, body = post(actions_port, json.dumps(call("action_does_not_exist")).encode(), TOKEN)
    assert status == 404 and "tracker" not in json.dumps(body)


def test_a_slow_action_does_not_hold_up_the_others() -> None:
    """Each call runs in a worker thread: a blocking action (a slow database, a password hash)
    must not stall another user's turn. rasa_sdk's own server ran it on the event loop."""
    port = free_port()
    process = start([sys.executable, "-c", SLOW_SERVER], port)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            slow = pool.submit(post, port, json.dumps(call("action_block_three_seconds")).encode(), TOKEN)
            time.sleep(0.3)
            fast_status, _ = post(port, json.dumps(call("action_answer_at_once")).encode(), TOKEN)
            # Answered while the blocking action still runs (on one event loop it would wait for it).
            still_running = not slow.done()
            assert slow.result()[0] == 200
        assert fast_status == 200 and still_running
    finally:
        stop_process(process)


def test_token_comparison_and_decoding_are_strict() -> None:
    assert token_matches(TOKEN, TOKEN) and not token_matches("", "") and not token_matches(None, TOKEN)
    assert decode_action_call(b'{"next_action": "x", "tracker": {}}', None) == {"next_action": "x", "tracker": {}}
    assert decode_action_call(b"[" * 100000, None) is None
    assert decode_action_call(b"\x00\x01", "deflate") is None


def test_action_calls_are_read_with_the_limits_of_every_json_body() -> None:
    import zlib

    from bot.startup import MAX_REQUEST_BYTES

    call_body = json.dumps({"next_action": "action_x", "tracker": {"events": []}}).encode()
    assert decode_action_call(zlib.compress(call_body), "deflate")["next_action"] == "action_x"
    assert decode_action_call(zlib.compress(call_body)[:-4], "deflate") is None  # cut short
    # A small deflated body that would inflate past the size limit of a plain one.
    bomb = zlib.compress(b'{"next_action": "x", "tracker": {}, "pad": "' + b" " * (2 * MAX_REQUEST_BYTES) + b'"}')
    assert len(bomb) < MAX_REQUEST_BYTES // 100 and decode_action_call(bomb, "deflate") is None
    nested = b'{"next_action": "x", "tracker": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}"
    assert decode_action_call(nested, None) is None
    assert decode_action_call(b'{"next_action": "x", "tracker": {"n": NaN}}', None) is None
