"""Faults survived with nothing lost (issue 11), against this machine's PostgreSQL and Redis.

One `make run` with two Rasa replicas, whose PostgreSQL and Redis are reached through TCP
forwarders the tests cut and restore (tests/standins/tcp_proxy.py: the servers themselves keep
running for the rest of the machine). Conversations alternate between the replicas. A second test
stops `make run` completely and starts it again on the same database.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import urllib.parse
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from sqlalchemy import func, select

from bot.storage.db import transaction
from bot.storage.models import InboxMessage, Report
from tests.channels import test_telegram_channel as telegram_test
from tests.channels.conftest import RASA_API_TOKEN, REDIS_URL, Stack, running_stack
from tests.conversation.test_recruitment_conversations import ANSWERS
from tests.databases import postgres_or_missing
from tests.eval.bench import post_json, process_names
from tests.servers import wait_until
from tests.standins.tcp_proxy import TcpProxy, address

NO_REPLY = "sebentar lagi"  # content/ui.yml no_reply: the user is asked to send it again
# Actions in the separate action server (as with ACTION_SERVER_URL in a container): one more process
# that can die, and a way to hold a turn mid-way (SIGSTOP). The default, actions inside each Rasa
# server, is what the full-restart test below runs.
FAULT_ENV = {"INBOX_LEASE_SECONDS": "10", "INBOX_REPLAY_SECONDS": "1", "ACTIONS_IN_PROCESS": "false"}


@pytest.fixture(scope="module")
def faulty() -> Iterator[Tuple[Stack, TcpProxy, TcpProxy, str]]:
    """(stack, PostgreSQL forwarder, Redis forwarder, the database's direct URL)."""
    redis = urllib.parse.urlparse(REDIS_URL)
    redis_host, redis_port = redis.hostname or "127.0.0.1", redis.port or 6379
    with postgres_or_missing("faults") as direct_url:
        host, port = address(direct_url)
        with TcpProxy(host, port) as database_proxy, TcpProxy(redis_host, redis_port) as redis_proxy:
            proxied = direct_url.replace(f"{host}:{port}", f"127.0.0.1:{database_proxy.port}")
            env = {
                **FAULT_ENV,
                "DATABASE_URL": proxied,
                "TRACKER_STORE_URL": proxied,
                "REDIS_URL": f"redis://127.0.0.1:{redis_proxy.port}/7",
            }
            with running_stack(replicas=2, extra_env=env, database_url=direct_url) as stack:
                yield stack, database_proxy, redis_proxy, direct_url


# --- helpers --------------------------------------------------------------------------------------


def say(stack: Stack, replica: int, sender: str, text: str) -> Tuple[int, List[Dict[str, Any]]]:
    status, replies = post_json(
        f"{stack.rasa_urls[replica % len(stack.rasa_urls)]}/webhooks/rest/webhook", {"sender": sender, "message": text}
    )
    return status, replies if isinstance(replies, list) else []


def text_of(replies: List[Dict[str, Any]]) -> str:
    return "\n".join(str(reply.get("text") or "") for reply in replies)


def tracker_slots(stack: Stack, sender: str) -> Dict[str, Any]:
    return stack.tracker(f"rest:{sender}")["slots"]


def answer_until(stack: Stack, sender: str, stop_at: str, turn: int = 0) -> int:
    """Answer the report form (alternating replicas) until it asks ``stop_at``; returns the turn."""
    for _ in range(20):
        asked = tracker_slots(stack, sender).get("requested_slot")
        if asked == stop_at:
            return turn
        status, replies = say(stack, turn, sender, ANSWERS[asked])
        assert status == 200 and replies, (asked, status)
        turn += 1
    raise AssertionError(f"the form never asked {stop_at}")


def pid_of(stack: Stack, name: str) -> int:
    """The pid of one of `make run`'s processes, by the bench's names ("actions", "rasa :PORT")."""
    for pid, running in process_names(stack.serve_pid).items():
        if running == name:
            return pid
    raise AssertionError(f"no process runs {name}")


def wait_up(url: str, timeout: float = 240) -> None:
    def up() -> bool:
        try:
            status, _ = post_json(url, {"text": "halo"}, timeout=5)
            return status == 200
        except Exception:  # noqa: BLE001 - not up yet
            return False

    assert wait_until(up, timeout=timeout, step=0.5), f"{url} did not come back"


def reports_of(direct_url: str, conversation_id: str) -> int:
    with transaction(direct_url) as session:
        return int(
            session.execute(
                select(func.count()).select_from(Report).where(Report.conversation_id == conversation_id)
            ).scalar_one()
        )


def inbox_row(direct_url: str, chat: Any) -> Tuple[str, Any]:
    with transaction(direct_url) as session:
        [row] = session.execute(select(InboxMessage).where(InboxMessage.sender_id == f"telegram:{chat.id}")).scalars()
        return row.status, row.text


def telegram_texts(stack: Stack, chat: Any) -> List[str]:
    return [str(call.params.get("text") or "") for call in stack.telegram.calls_to("sendMessage", chat_id=chat.id)]


# --- the faults -----------------------------------------------------------------------------------


def test_action_server_killed_mid_form_asks_to_resend_and_the_form_goes_on(faulty) -> None:
    stack, _, _, direct_url = faulty
    sender = f"fault-actions-{os.getpid()}"
    assert say(stack, 0, sender, "mau lapor calo")[0] == 200
    turn = answer_until(stack, sender, "report_recruiter_kind")
    old = pid_of(stack, "actions")
    os.kill(old, signal.SIGKILL)
    # The next answer lands while the action server is down: a reply, not silence.
    status, replies = say(stack, turn, sender, ANSWERS["report_recruiter_kind"])
    assert status == 200 and NO_REPLY in text_of(replies), replies
    # make run starts it again (the rest kept serving) ...
    assert wait_until(
        lambda: any(name == "actions" and pid != old for pid, name in process_names(stack.serve_pid).items()),
        timeout=30,
    )
    assert "actions exited" in stack.log() and "starting it again" in stack.log()
    time.sleep(3)  # its port opens a moment after the process starts
    # ... and the user's answers so far are still there: the form asks the same question again.
    slots = tracker_slots(stack, sender)
    assert slots["report_what_happened"] == ANSWERS["report_what_happened"]
    assert slots["requested_slot"] == "report_recruiter_kind"
    status, replies = say(stack, turn + 1, sender, ANSWERS["report_recruiter_kind"])
    assert status == 200 and NO_REPLY not in text_of(replies)
    answer_until(stack, sender, "report_confirm", turn + 2)
    status, replies = say(stack, turn + 3, sender, "/affirm")
    assert "Kode laporan:" in text_of(replies)
    assert reports_of(direct_url, f"rest:{sender}") == 1


def test_postgresql_outage_tells_the_user_keeps_the_answers_and_saves_the_report_once_back(faulty) -> None:
    stack, database, _, direct_url = faulty
    sender = f"fault-pg-{os.getpid()}"
    say(stack, 0, sender, "mau lapor calo")
    turn = answer_until(stack, sender, "report_confirm")
    chat = telegram_test.new_chat()
    update = telegram_test.text_update(chat, "magang ke jepang syaratnya apa?")
    database.cut()
    try:
        # The confirmation cannot be saved: the user is told (503, in both languages), nothing is half-done.
        status, replies = say(stack, turn, sender, "/affirm")
        assert status == 503
        # A Telegram update cannot be written to the inbox: 5xx, so Telegram delivers it again later.
        assert telegram_test.send(stack.on_replica(1), update)[0] >= 500
    finally:
        database.restore()
    assert reports_of(direct_url, f"rest:{sender}") == 0
    # Back: the same confirmation files the report, once; the slots were kept.
    status, replies = say(stack, turn + 1, sender, "/affirm")
    assert status == 200 and "Kode laporan:" in text_of(replies), replies
    assert reports_of(direct_url, f"rest:{sender}") == 1
    # Telegram's redelivery of the same update is answered, once.
    assert telegram_test.send(stack, update)[0] == 200
    assert wait_until(lambda: len(telegram_texts(stack, chat)) >= 1, timeout=60)
    assert telegram_test.send(stack.on_replica(1), update)[0] == 200  # a second redelivery: ignored
    time.sleep(2)
    assert len(telegram_texts(stack, chat)) == 1


def test_redis_outage_refuses_turns_politely_and_keeps_the_message(faulty) -> None:
    """Redis holds Rasa's conversation locks: without it no turn runs (two replicas could
    otherwise interleave one user's turns). REST callers get a 503 asking them to retry;
    platform messages are acknowledged, kept in the inbox, and the user is told to resend."""
    stack, _, redis, direct_url = faulty
    sender = f"fault-redis-{os.getpid()}"
    chat = telegram_test.new_chat()
    redis.cut()
    try:
        status, _ = say(stack, 0, sender, "magang ke jepang brp thn?")
        assert status == 503
        assert telegram_test.send(stack.on_replica(1), telegram_test.text_update(chat, "gaji ssw brp?"))[0] == 200
        assert wait_until(lambda: len(telegram_texts(stack, chat)) >= 1, timeout=60)
        assert "coba kirim lagi" in telegram_texts(stack, chat)[0]
        # The outcome is recorded just after the reply is sent.
        assert wait_until(lambda: inbox_row(direct_url, chat) == ("failed", "gaji ssw brp?"), timeout=20)
    finally:
        redis.restore()
    assert wait_until(lambda: say(stack, 1, sender, "magang ke jepang brp thn?")[0] == 200, timeout=30, step=1)


def test_a_replica_killed_mid_turn_leaves_the_message_to_the_other(faulty) -> None:
    stack, _, _, direct_url = faulty
    chat = telegram_test.new_chat()
    actions = pid_of(stack, "actions")
    first_port = urllib.parse.urlparse(stack.rasa_urls[0]).port
    replica = pid_of(stack, f"rasa :{first_port}")
    os.kill(actions, signal.SIGSTOP)  # the turn on replica 1 waits on its action...
    try:
        assert telegram_test.send(stack, telegram_test.text_update(chat, "lpk resmi cek dimana?"))[0] == 200
        time.sleep(1)
        os.kill(replica, signal.SIGKILL)  # ... when its replica dies
    finally:
        os.kill(actions, signal.SIGCONT)
    # Replica 2 answers it once the dead replica's lease ran out (INBOX_LEASE_SECONDS=10 here).
    assert wait_until(lambda: len(telegram_texts(stack, chat)) >= 1, timeout=90), "the message was never answered"
    time.sleep(3)
    texts = telegram_texts(stack, chat)
    assert len(texts) == 1 and NO_REPLY not in texts[0], texts
    assert wait_until(lambda: inbox_row(direct_url, chat)[0] == "done", timeout=20)
    # make run brings the killed replica back.
    wait_up(f"{stack.rasa_urls[0]}/model/parse?token={RASA_API_TOKEN}")


def test_the_same_delivery_on_two_replicas_at_once_gives_one_reply_and_one_report(faulty) -> None:
    stack, _, _, direct_url = faulty
    wait_up(f"{stack.rasa_urls[0]}/model/parse?token={RASA_API_TOKEN}")
    chat = telegram_test.new_chat()
    telegram_test.send(stack, telegram_test.text_update(chat, "/lapor"))
    sender = f"telegram:{chat.id}"
    asked = None
    for turn in range(20):
        asked = telegram_test._next_question(stack, sender, asked)
        if asked == "report_confirm":
            break
        answer = ANSWERS[asked]
        update = (
            telegram_test.button_update(chat, answer)
            if answer.startswith("/")
            else telegram_test.text_update(chat, answer)
        )
        telegram_test.send(stack.on_replica(turn), update)
    confirm = telegram_test.button_update(chat, "/affirm")
    barrier = threading.Barrier(2)
    statuses: List[int] = []

    def deliver(replica: int) -> None:
        barrier.wait()
        statuses.append(telegram_test.send(stack.on_replica(replica), confirm)[0])

    threads = [threading.Thread(target=deliver, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200, 200]
    assert wait_until(lambda: any("Kode laporan:" in text for text in telegram_texts(stack, chat)), timeout=60)
    time.sleep(3)
    assert sum("Kode laporan:" in text for text in telegram_texts(stack, chat)) == 1
    assert reports_of(direct_url, sender) == 1


def test_everything_restarted_keeps_open_conversations_and_reports() -> None:
    with postgres_or_missing("restart") as database_url:
        sender, reporter = f"restart-form-{os.getpid()}", f"restart-report-{os.getpid()}"
        with running_stack(database_url=database_url) as first:
            say(first, 0, reporter, "mau lapor calo")
            answer_until(first, reporter, "report_confirm")
            confirmation = text_of(say(first, 0, reporter, "/affirm")[1])
            code = confirmation.split("Kode laporan:")[1].split()[0]
            pin = confirmation.split("PIN:")[1].split()[0]
            say(first, 0, sender, "mau lapor calo")
            answer_until(first, sender, "report_recruiter_kind")
        # `make run` stopped (Ctrl-C) and started again on the same stores.
        with running_stack(database_url=database_url) as second:
            slots = tracker_slots(second, sender)
            assert slots["requested_slot"] == "report_recruiter_kind"
            assert slots["report_what_happened"] == ANSWERS["report_what_happened"]
            answer_until(second, sender, "report_confirm")
            assert "Kode laporan:" in text_of(say(second, 0, sender, "/affirm")[1])
            replies = ""
            for text in ("cek status laporan", code, pin):
                replies = text_of(say(second, 0, reporter, text)[1])
            assert code in replies, replies
        assert reports_of(database_url, f"rest:{sender}") == 1 and reports_of(database_url, f"rest:{reporter}") == 1
