"""`make bench`: what the assistant carries, end to end, with 1 and with 2 Rasa replicas.

For each replica count it starts the product as `make run` does (``python -m bot.serve`` with
PostgreSQL, Redis and the Telegram and WhatsApp stand-ins; RASA_REPLICAS=N), then:

1. **Bare NLU parse** of the same texts the users send, through Rasa's /model/parse at the same
   concurrency (the model's own cost, the yardstick of the turn's overhead).
2. **Simulated users** holding realistic conversations, each in a fresh conversation, taking
   turns round-robin across the replicas, one message right after the previous answer (closed
   loop: the figures are the capacity of the machine, not a chosen arrival rate):
   - questions: a question, its follow-up, "sumbernya?", thanks;
   - an offer check: an offer pasted in and a follow-up;
   - a report: "mau lapor", then every form answer, then the confirmation;
   - a status check of that report with its code and PIN.
   Through the REST channel (latency = the HTTP answer with the replies), and through the
   Telegram and WhatsApp webhooks (latency = webhook POST until the stand-in platform received
   the first reply; the turn ends when its replies stop arriving).

Prints p50/p95/p99, messages/s, errors and the resident memory of every process, with a progress
line while it runs, and checks the targets of issue 11 (turn p50 <= 2.5 x bare parse p50,
>= 30 messages/s, p95 <= 500 ms at 20 concurrent conversations on REST). Writes
reports/eval/bench.json.

    python -m tests.eval.bench [--concurrency 20] [--duration 30] [--replicas 1,2] [--channels rest,telegram,whatsapp]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from bot.settings import get_settings
from tests.channels import test_telegram_channel as telegram_test
from tests.channels import test_whatsapp_channel as whatsapp_test
from tests.channels.conftest import RASA_API_TOKEN, Stack, running_stack

TARGET_RATIO = 2.5
TARGET_RATE = 30.0
TARGET_P95_MS = 500.0
TURN_TIMEOUT = 60.0
# A webhook turn is over when no further reply arrived for this long after the last one.
QUIET_SECONDS = 0.15

QUESTIONS = [
    ["magang ke jepang syaratnya apa aja?", "biayanya brp kak", "sumbernya?", "makasih ya"],
    ["tokutei ginou gajinya berapa", "kalo jft basic itu apa", "oke makasih"],
    ["cara cek lpk resmi gmn", "umur 30 masih bisa magang ga", "sip"],
]
OFFERS = [
    [
        "ada yg nawarin kerja pabrik di jepang, bayar 45jt ke calo, pake visa turis dulu katanya. aman ga?",
        "trus aku harus gmn",
    ],
    ["lpk sakura nawarin ssw caregiver, biaya 25jt, paspor dipegang mereka. legal ga kak?", "makasih"],
]
STATUS_OPENING = "cek status laporan"


# --- measurements -------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: List[float] = field(default_factory=list)
    # The same latencies by what the user was doing (question, offer, report, status): where the tail is.
    by_step: Dict[str, List[float]] = field(default_factory=dict)
    errors: Dict[str, int] = field(default_factory=dict)
    examples: List[Dict[str, object]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, step: str = "") -> None:
        with self.lock:
            self.latencies.append(seconds)
            if step:
                self.by_step.setdefault(step, []).append(seconds)

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1

    def example(self, kind: str, lines: List[str]) -> None:
        """Keep the first few simulated conversations that went wrong (bench data only)."""
        with self.lock:
            if len(self.examples) < 3:
                self.examples.append({"kind": kind, "last_messages": lines[-6:]})


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def figures(tally: Tally, elapsed: float) -> Dict[str, float]:
    values = tally.latencies
    return {
        "messages": len(values),
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors),
        "messages_per_s": round(len(values) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(1000 * statistics.median(values), 1) if values else float("nan"),
        "p95_ms": round(1000 * percentile(values, 0.95), 1),
        "p99_ms": round(1000 * percentile(values, 0.99), 1),
        "by_step": {
            step: {
                "messages": len(latencies),
                "p50_ms": round(1000 * statistics.median(latencies), 1),
                "p95_ms": round(1000 * percentile(latencies, 0.95), 1),
            }
            for step, latencies in sorted(tally.by_step.items())
        },
    }


def progress(label: str, tally: Tally, started: float, stop: threading.Event) -> None:
    while not stop.wait(5):
        elapsed = time.monotonic() - started
        print(
            f"  [{label}] {elapsed:4.0f} s: {len(tally.latencies)} messages, "
            f"{len(tally.latencies) / elapsed:5.1f}/s, {sum(tally.errors.values())} errors",
            flush=True,
        )


def drive(
    label: str, concurrency: int, duration: float, user: Callable[[int, Tally, float], None], root_pid: int = 0
) -> Dict[str, object]:
    """Run ``concurrency`` users until ``duration`` seconds have passed; their figures (with the
    CPU each process spent per message when ``root_pid`` names `make run`)."""
    cpu_before = process_cpu(root_pid) if root_pid else {}
    tally = Tally()
    stop = threading.Event()
    started = time.monotonic()
    deadline = started + duration
    threads = [
        threading.Thread(target=user, args=(index, tally, deadline), daemon=True) for index in range(concurrency)
    ]
    reporter = threading.Thread(target=progress, args=(label, tally, started, stop), daemon=True)
    reporter.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + 2 * TURN_TIMEOUT)
    elapsed = time.monotonic() - started
    stop.set()
    result: Dict[str, object] = dict(figures(tally, elapsed))
    if tally.examples:
        result["error_examples"] = tally.examples
    if root_pid:
        result["cpu_ms_per_message"] = cpu_per_message(cpu_before, process_cpu(root_pid), len(tally.latencies))
    return result


# --- the three ways in --------------------------------------------------------------------------


def post_json(url: str, payload: object, timeout: float = TURN_TIMEOUT) -> Tuple[int, object]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read().decode("utf-8") or "null")
    except urllib.error.HTTPError as error:
        return error.code, None


class KeptAliveConnections(threading.local):
    """One kept-alive HTTP connection per simulated user (thread) and server, as platforms and
    load balancers keep theirs: a new TCP connection per message would measure connection set-up
    on both sides, and the load generator's own CPU is taken from the same two cores."""

    # Sanic closes a connection idle for 5 s: one idle longer is replaced before it is used, so a
    # POST is never sent into a connection the server is closing (and never needs sending twice).
    IDLE_SECONDS = 2.0

    def __init__(self) -> None:
        self.connections: Dict[str, Tuple[http.client.HTTPConnection, float]] = {}

    def post_json(self, url: str, payload: object, timeout: float = TURN_TIMEOUT) -> Tuple[int, object]:
        parts = urllib.parse.urlsplit(url)
        body = json.dumps(payload).encode("utf-8")
        connection, last_used = self.connections.pop(parts.netloc, (None, 0.0))
        if connection is not None and time.monotonic() - last_used > self.IDLE_SECONDS:
            connection.close()
            connection = None
        if connection is None:
            connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
        try:
            connection.request(
                "POST",
                parts.path + (f"?{parts.query}" if parts.query else ""),
                body=body,
                headers={"Content-Type": "application/json"},
            )
            response = connection.getresponse()
            data = response.read()
        except Exception:
            connection.close()  # half-used after a failure: never reused
            raise
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
        else:
            self.connections[parts.netloc] = (connection, time.monotonic())
        if response.status != 200:
            return response.status, None
        return response.status, json.loads(data.decode("utf-8") or "null")


KEPT_ALIVE = KeptAliveConnections()


class Conversation:
    """One simulated user's conversation on one channel; ``say`` returns the reply texts."""

    turn = itertools.count()

    def __init__(self, stack: Stack, tally: Tally) -> None:
        self.stack = stack
        self.tally = tally
        self.step = ""  # what the user is doing (the simulated user sets it), for the figures by step

    def replica(self) -> Stack:
        # Turns alternate between the replicas, as a load balancer without affinity would send them.
        return self.stack.on_replica(next(self.turn))

    def say(self, text: str) -> List[str]:
        raise NotImplementedError

    def wait_for(self, needle: str, timeout: float = 15.0) -> str:
        """A reply containing ``needle`` that arrived after the turn was judged over ("" if none)."""
        return ""

    def transcript(self) -> List[str]:
        """What the simulated user saw, for an error report."""
        return []


class RestConversation(Conversation):
    ids = itertools.count()

    def __init__(self, stack: Stack, tally: Tally) -> None:
        super().__init__(stack, tally)
        self.sender = f"bench-{os.getpid()}-{next(self.ids)}"

    def say(self, text: str) -> List[str]:
        started = time.monotonic()
        try:
            status, replies = KEPT_ALIVE.post_json(
                f"{self.replica().rasa_url}/webhooks/rest/webhook", {"sender": self.sender, "message": text}
            )
        except Exception as error:  # noqa: BLE001 - counted, the user goes on
            self.tally.error(type(error).__name__)
            return []
        if status != 200 or not isinstance(replies, list) or not replies:
            self.tally.error(f"http {status}" if status != 200 else "empty reply")
            return []
        self.tally.add(time.monotonic() - started, self.step)
        return [str(reply.get("text") or "") for reply in replies]


class WebhookConversation(Conversation):
    """Telegram or WhatsApp: POST the update, wait for the stand-in to receive the replies."""

    def post(self, text: str) -> int:
        raise NotImplementedError

    def received(self) -> List[str]:
        raise NotImplementedError

    def wait_received(self, count: int, timeout: float) -> bool:
        """Wait (on the stand-in, not by polling) until ``count`` replies arrived; False on time-out."""
        raise NotImplementedError

    def say(self, text: str) -> List[str]:
        before = len(self.received())
        started = time.monotonic()
        try:
            status = self.post(text)
        except Exception as error:  # noqa: BLE001
            self.tally.error(type(error).__name__)
            return []
        if status != 200:
            self.tally.error(f"http {status}")
            return []
        deadline = started + TURN_TIMEOUT
        if not self.wait_received(before + 1, max(0.0, deadline - time.monotonic())):
            self.tally.error("no reply")
            return []
        self.tally.add(time.monotonic() - started, self.step)
        # The turn is over when no further reply came for QUIET_SECONDS.
        count = len(self.received())
        while time.monotonic() < deadline and self.wait_received(count + 1, QUIET_SECONDS):
            count = len(self.received())
        return self.received()[before:]

    def transcript(self) -> List[str]:
        return [text[:160] for text in self.received()]

    def wait_for(self, needle: str, timeout: float = 15.0) -> str:
        # Under load a turn's last message can come after the quiet gap that ended the turn.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for text in reversed(self.received()):
                if needle in text:
                    return text
            time.sleep(0.05)
        return ""


def is_button(text: str) -> bool:
    return text.startswith("/") or text in ("individual", "lpk", "company", "social_media", "unknown")


class TelegramConversation(WebhookConversation):
    def __init__(self, stack: Stack, tally: Tally) -> None:
        super().__init__(stack, tally)
        self.chat = telegram_test.new_chat()

    def post(self, text: str) -> int:
        update = (
            telegram_test.button_update(self.chat, text)
            if is_button(text) and text != "/lapor"
            else telegram_test.text_update(self.chat, text)
        )
        return telegram_test.send(self.replica(), update)[0]

    def received(self) -> List[str]:
        return [
            str(call.params.get("text") or "")
            for call in self.stack.telegram.calls_to("sendMessage", chat_id=self.chat.id)
        ]

    def wait_received(self, count: int, timeout: float) -> bool:
        try:
            self.stack.telegram.wait_for("sendMessage", count, chat_id=self.chat.id, timeout=timeout)
            return True
        except TimeoutError:
            return False


class WhatsAppConversation(WebhookConversation):
    def __init__(self, stack: Stack, tally: Tally) -> None:
        super().__init__(stack, tally)
        self.user = whatsapp_test.new_user()

    def post(self, text: str) -> int:
        if is_button(text):
            content = whatsapp_test.message(
                self.user,
                "interactive",
                {"type": "button_reply", "button_reply": {"id": text, "title": text.strip("/")[:20]}},
            )
        else:
            content = whatsapp_test.text_message(self.user, text)
        return whatsapp_test.send(self.replica(), whatsapp_test.notification(self.user, content))[0]

    def received(self) -> List[str]:
        return [call.text for call in self.stack.graph.messages_to(self.user)]

    def wait_received(self, count: int, timeout: float) -> bool:
        try:
            self.stack.graph.wait_for(count, to=self.user, timeout=timeout)
            return True
        except TimeoutError:
            return False


CHANNELS: Dict[str, Callable[[Stack, Tally], Conversation]] = {
    "rest": RestConversation,
    "telegram": TelegramConversation,
    "whatsapp": WhatsAppConversation,
}


# --- what users say -----------------------------------------------------------------------------


def report_answers(stack: Stack) -> List[str]:
    """The answers of a whole report, in the order the form asks (read once from the tracker)."""
    from tests.conversation.test_recruitment_conversations import ANSWERS

    sender = f"bench-script-{os.getpid()}"
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    answers = ["mau lapor calo"]
    post_json(url, {"sender": sender, "message": answers[0]})
    for _ in range(20):
        asked = stack.tracker(f"rest:{sender}")["slots"].get("requested_slot")
        if asked in (None, "report_confirm"):
            break
        answers.append(ANSWERS[asked])
        post_json(url, {"sender": sender, "message": ANSWERS[asked]})
    if stack.tracker(f"rest:{sender}")["slots"].get("requested_slot") != "report_confirm":
        raise RuntimeError("the report form did not reach its confirmation")
    return answers + ["/affirm"]


CODE = re.compile(r"Kode laporan:\s*(\S+)")
PIN = re.compile(r"PIN:\s*(\S+)")


def simulated_user(stack: Stack, channel: str, answers: List[str]) -> Callable[[int, Tally, float], None]:
    def user(index: int, tally: Tally, deadline: float) -> None:
        for round_ in itertools.count(index):
            if time.monotonic() > deadline:
                return
            conversation = CHANNELS[channel](stack, tally)
            kind = round_ % 4
            if kind == 0:
                script, conversation.step = QUESTIONS[round_ % len(QUESTIONS)], "question"
            elif kind == 1:
                script, conversation.step = OFFERS[round_ % len(OFFERS)], "offer"
            else:
                script, conversation.step = answers, "report"  # and (kind 3) its status check after it
            replies: List[str] = []
            for text in script:
                if time.monotonic() > deadline:
                    return
                replies = conversation.say(text)
            if kind == 3:
                confirmation = "\n".join(replies)
                if "Kode laporan:" not in confirmation:
                    confirmation = conversation.wait_for("Kode laporan:")
                code, pin = CODE.search(confirmation), PIN.search(confirmation)
                if not (code and pin):
                    tally.error("no case code")
                    tally.example("no case code", conversation.transcript())
                    continue
                conversation.step = "status"
                for text in (STATUS_OPENING, code.group(1), pin.group(1)):
                    conversation.say(text)

    return user


def parse_user(stack: Stack, texts: List[str]) -> Callable[[int, Tally, float], None]:
    def user(index: int, tally: Tally, deadline: float) -> None:
        for position in itertools.count(index):
            if time.monotonic() > deadline:
                return
            replica = stack.on_replica(position)
            started = time.monotonic()
            status, _ = KEPT_ALIVE.post_json(
                f"{replica.rasa_url}/model/parse?token={RASA_API_TOKEN}", {"text": texts[position % len(texts)]}
            )
            if status == 200:
                tally.add(time.monotonic() - started)
            else:
                tally.error(f"http {status}")

    return user


# --- CPU and memory -----------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(root_pid: int) -> Dict[str, float]:
    """CPU seconds used so far by each of our processes (by name), and by PostgreSQL and Redis."""
    names = process_names(root_pid)
    used: Dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        name = names.get(pid) or (
            "postgresql"
            if command.startswith("postgres")
            else "redis"
            if command.startswith("redis-server")
            # The simulated users share the machine's cores with what they measure.
            else "load generator (this bench)"
            if pid == os.getpid()
            else ""
        )
        if name:
            used[name] = used.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return used


def cpu_per_message(before: Dict[str, float], after: Dict[str, float], messages: int) -> Dict[str, float]:
    """Milliseconds of CPU per message, per process: the cost of a turn, steadier than latency on
    a machine shared with other work."""
    return {
        name: round(1000 * (after.get(name, 0.0) - before.get(name, 0.0)) / max(1, messages), 1)
        for name in sorted(after)
        if after.get(name, 0.0) - before.get(name, 0.0) > 0.05
    }


def process_names(root_pid: int) -> Dict[int, str]:
    """pid -> what it runs, for every process under ``root_pid`` (`make run` and its children)."""
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    names: Dict[int, str] = {}
    pending = [root_pid]
    while pending:
        pid = pending.pop()
        pending += children.get(pid, [])
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        port = next((item.split(b"=", 1)[1].decode() for item in environment if item.startswith(b"RASA_PORT=")), "")
        names[pid] = (
            "rasa :" + port
            if "bot.rasa_server" in command
            else "actions"
            if "bot.action_server" in command
            else "console"
            if "console" in command
            else "notifier"
            if "bot.alerts.notifier" in command
            else "retention"
            if "maintenance" in command
            else "make run (supervisor)"
            if "bot.serve" in command
            else command.split(" ")[0].rsplit("/", 1)[-1]
        )
    return names


def process_memory(root_pid: int) -> Dict[str, float]:
    """Resident memory (MB) of every process under ``root_pid``, by name."""
    memory: Dict[str, float] = {}
    for pid, name in process_names(root_pid).items():
        try:
            rss = next(
                int(line.split()[1])
                for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("VmRSS:")
            )
        except (OSError, StopIteration):
            continue
        memory[name] = round(memory.get(name, 0.0) + rss / 1024, 1)
    return memory


# --- the run ------------------------------------------------------------------------------------


def bench_replicas(replicas: int, options: argparse.Namespace) -> Dict[str, object]:
    print(
        f"\n== {replicas} Rasa replica(s): starting `make run` (python -m bot.serve, PostgreSQL, Redis) ...", flush=True
    )
    extra_env = {"LOG_LEVEL": "WARNING", "ACTIONS_IN_PROCESS": "false" if options.actions == "server" else "true"}
    with running_stack(replicas=replicas, extra_env=extra_env) as stack:
        answers = report_answers(stack)
        texts = [text for script in QUESTIONS + OFFERS for text in script] + answers
        # Warm-up: every replica builds its lazily loaded parts on its first turns.
        for index in range(2 * replicas):
            RestConversation(stack, Tally()).say(texts[index % len(texts)])
        result: Dict[str, object] = {
            "replicas": replicas,
            "concurrency": options.concurrency,
            "duration_s": options.duration,
        }
        print(f"  bare NLU parse, {options.concurrency} at once, {options.parse_duration:.0f} s", flush=True)
        result["parse"] = drive(
            "parse", options.concurrency, options.parse_duration, parse_user(stack, texts), stack.serve_pid
        )
        for channel in options.channels:
            print(f"  {channel}: {options.concurrency} simulated users, {options.duration:.0f} s", flush=True)
            result[channel] = drive(
                channel, options.concurrency, options.duration, simulated_user(stack, channel, answers), stack.serve_pid
            )
        result["memory_mb"] = process_memory(stack.serve_pid)
        parse_p50 = result["parse"]["p50_ms"]  # type: ignore[index]
        rest = result.get("rest")
        if isinstance(rest, dict):
            rest["ratio_to_parse"] = round(rest["p50_ms"] / parse_p50, 2) if parse_p50 else float("nan")
        return result


def print_table(results: List[Dict[str, object]], channels: Sequence[str]) -> None:
    print(
        f"\n{'replicas':>8} {'path':10} {'msgs':>6} {'msg/s':>6}"
        f" {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}"
    )
    for result in results:
        for path in ["parse", *channels]:
            row = result[path]  # type: ignore[index]
            print(
                f"{result['replicas']:>8} {path:10} {row['messages']:>6} {row['messages_per_s']:>6} {row['p50_ms']:>7} "
                f"{row['p95_ms']:>7} {row['p99_ms']:>7} {row['errors']:>6}"
            )
            steps = row.get("by_step") or {}  # type: ignore[union-attr]
            if steps:
                print(
                    f"{'':>8} {'':10} by step (n, p50, p95 ms): "
                    + ", ".join(
                        f"{step} {f['messages']} {f['p50_ms']:.0f} {f['p95_ms']:.0f}" for step, f in steps.items()
                    )
                )
            cpu = row.get("cpu_ms_per_message") or {}  # type: ignore[union-attr]
            print(f"{'':>8} {'':10} CPU ms per message: " + ", ".join(f"{name} {ms}" for name, ms in cpu.items()))
        memory = result["memory_mb"]
        print(f"{'':>8} memory MB: " + ", ".join(f"{name} {mb:.0f}" for name, mb in sorted(memory.items())))  # type: ignore[union-attr]


def check_targets(result: Dict[str, object]) -> List[str]:
    rest = result.get("rest")
    if not isinstance(rest, dict):
        return []
    lines = [
        (
            rest["ratio_to_parse"] <= TARGET_RATIO,
            f"REST turn p50 / bare parse p50 = {rest['ratio_to_parse']} (target <= {TARGET_RATIO})",
        ),
        (
            rest["messages_per_s"] >= TARGET_RATE,
            f"REST messages/s = {rest['messages_per_s']} (target >= {TARGET_RATE})",
        ),
        (rest["p95_ms"] <= TARGET_P95_MS, f"REST p95 = {rest['p95_ms']} ms (target <= {TARGET_P95_MS:.0f} ms)"),
        (rest["errors"] == 0, f"REST errors = {rest['errors']} (target 0)"),
    ]
    return [("met    " if ok else "MISSED ") + text for ok, text in lines]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per channel")
    parser.add_argument("--parse-duration", type=float, default=15.0)
    parser.add_argument("--replicas", default="1,2")
    parser.add_argument("--channels", default="rest,telegram,whatsapp")
    parser.add_argument(
        "--actions",
        choices=("in-process", "server"),
        default="in-process",
        help="where custom actions run: inside each Rasa server (the default) or in the action server",
    )
    options = parser.parse_args(argv)
    options.channels = [name for name in options.channels.split(",") if name]
    if "rest" not in options.channels:
        parser.error("the targets are measured on the REST channel: keep rest in --channels")
    unknown = [name for name in options.channels if name not in CHANNELS]
    if unknown:
        parser.error(f"unknown channel(s): {', '.join(unknown)}")
    counts = [int(count) for count in options.replicas.split(",")]
    print(
        f"make bench on {os.cpu_count()} cores: {options.concurrency} concurrent conversations, "
        f"{options.duration:.0f} s per channel, replicas {counts}, actions {options.actions}",
        flush=True,
    )
    results = [bench_replicas(count, options) for count in counts]
    out = get_settings().project_root / "reports" / "eval"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print_table(results, options.channels)
    for result in results:
        print(f"\nTargets with {result['replicas']} replica(s):")
        for line in check_targets(result):
            print("  " + line)
    print(f"\nWritten to {out / 'bench.json'}")
    # The deployment is judged: the largest replica count run (the others show the scaling).
    return 1 if any(line.startswith("MISSED") for line in check_targets(results[-1])) else 0


if __name__ == "__main__":
    sys.exit(main())
