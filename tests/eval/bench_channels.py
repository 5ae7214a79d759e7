"""`make bench`: how fast the chat channels acknowledge webhooks and answer, end to end.

Starts the product as `make run` does (``python -m bot.serve``, PostgreSQL, Redis) with the Bot API
and Graph API stand-ins, then sends real webhooks from several users at once and measures:
- acknowledgement: POST until the webhook's 200 (the platforms retry slow webhooks);
- reply: POST until the stand-in receives the first message sent to that user.
Writes reports/eval/channels.json and prints p50/p95.
"""
from __future__ import annotations

import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Tuple

from bot.settings import get_settings
from tests.channels import test_telegram_channel as telegram_test
from tests.channels import test_whatsapp_channel as whatsapp_test
from tests.channels.conftest import Stack, running_stack

QUESTIONS = [
    "magang ke jepang syaratnya apa aja?",
    "tokutei ginou gajinya berapa",
    "cara cek lpk resmi gmn",
    "bayar 50jt ke calo aman ga?",
    "jft basic itu apa",
]
USERS = 10
MESSAGES_PER_USER = 3


def percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def summary(values: List[float]) -> Dict[str, float]:
    return {"n": len(values), "p50_ms": round(1000 * statistics.median(values), 1),
            "p95_ms": round(1000 * percentile(values, 0.95), 1), "max_ms": round(1000 * max(values), 1)}


def run_user(send: Callable[[str], int], replies_so_far: Callable[[], int]) -> List[Tuple[float, float]]:
    """One user's messages, each sent after the previous answer (as a person types)."""
    timings = []
    for turn in range(MESSAGES_PER_USER):
        before = replies_so_far()
        started = time.monotonic()
        status = send(QUESTIONS[turn % len(QUESTIONS)])
        acknowledged = time.monotonic()
        if status != 200:
            raise RuntimeError(f"webhook answered {status}")
        deadline = started + 120
        while replies_so_far() <= before:
            if time.monotonic() > deadline:
                raise TimeoutError("no reply within 120 s")
            time.sleep(0.005)
        timings.append((acknowledged - started, time.monotonic() - started))
    return timings


def telegram_user(stack: Stack) -> List[Tuple[float, float]]:
    chat = telegram_test.new_chat()
    return run_user(lambda text: telegram_test.send(stack, telegram_test.text_update(chat, text))[0],
                    lambda: len(stack.telegram.calls_to("sendMessage", chat_id=chat.id)))


def whatsapp_user(stack: Stack) -> List[Tuple[float, float]]:
    user = whatsapp_test.new_user()
    return run_user(lambda text: whatsapp_test.send(stack, whatsapp_test.notification(
                        user, whatsapp_test.text_message(user, text)))[0],
                    lambda: len(stack.graph.messages_to(user)))


def measure(stack: Stack, user: Callable[[Stack], List[Tuple[float, float]]]) -> Dict[str, Dict[str, float]]:
    with ThreadPoolExecutor(max_workers=USERS) as pool:
        timings = [t for result in pool.map(lambda _: user(stack), range(USERS)) for t in result]
    return {"ack": summary([a for a, _ in timings]), "reply": summary([r for _, r in timings])}


def main() -> int:
    with running_stack() as stack:
        telegram_user(stack)  # warm-up: the first turn loads lazily-built parts of the model
        results = {"users": USERS, "messages_per_user": MESSAGES_PER_USER,
                   "telegram": measure(stack, telegram_user), "whatsapp": measure(stack, whatsapp_user)}
    out = get_settings().project_root / "reports" / "eval"
    out.mkdir(parents=True, exist_ok=True)
    Path(out / "channels.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"{USERS} users at once, {MESSAGES_PER_USER} messages each, per channel (through python -m bot.serve):")
    for channel in ("telegram", "whatsapp"):
        ack, reply = results[channel]["ack"], results[channel]["reply"]
        print(f"  {channel:9} webhook ack p50 {ack['p50_ms']} ms / p95 {ack['p95_ms']} ms; "
              f"reply p50 {reply['p50_ms']} ms / p95 {reply['p95_ms']} ms (max {reply['max_ms']} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
