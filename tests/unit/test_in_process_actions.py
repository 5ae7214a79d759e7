"""bot/in_process_actions.py with bot/rasa_overrides.py: custom actions run inside the Rasa server
behave as through the action server (same call, same answer handling, rejections and failures),
without blocking Rasa's event loop and without the user's words in the log."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, List

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException

from bot import rasa_overrides
from bot.in_process_actions import InProcessActions

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, affirm]
slots:
  language: {type: text, mappings: [{type: custom}]}
  seen_forms: {type: list, mappings: [{type: custom}]}
  answer: {type: text, mappings: [{type: from_text}]}
forms:
  stub_form: {required_slots: [answer]}
responses:
  utter_stub_greet:
  - text: "halo dari domain"
actions: [action_echo_what_it_got, action_block_three_seconds, action_reject_the_input,
          action_fail_with_the_users_words, action_change_what_it_was_given, action_answer_with_a_set,
          action_leave_a_task_behind]
""")


@pytest.fixture(scope="module")
def runner() -> InProcessActions:
    return InProcessActions("tests.unit.in_process_stub_actions", threads=4)


@pytest.fixture
def in_process(runner: InProcessActions, monkeypatch: pytest.MonkeyPatch) -> InProcessActions:
    # Patched for this test only: the rest of the test run keeps Rasa's own RemoteAction.
    monkeypatch.setattr(RemoteAction, "run", RemoteAction.run)
    rasa_overrides._run_actions_in_process(runner)
    return runner


def tracker(text: str = "gaji ssw brp kak") -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "in-process-test",
        [ActionExecuted("action_listen"), UserUttered(text, {"name": "greet", "confidence": 0.9})],
        DOMAIN.slots,
    )


def run(name: str, state: DialogueStateTracker, channel: Any = None) -> List[Any]:
    action = RemoteAction(name, None)  # no action endpoint: nothing goes over HTTP
    channel = channel or CollectingOutputChannel()
    return asyncio.run(action.run(channel, TemplatedNaturalLanguageGenerator(DOMAIN.responses), state, DOMAIN))


def test_an_action_gets_the_tracker_and_domain_and_its_answer_is_handled_as_rasas(in_process) -> None:
    events = run("action_echo_what_it_got", tracker())
    bot = [event for event in events if isinstance(event, BotUttered)]
    assert [message.text for message in bot] == ["you said: gaji ssw brp kak", "halo dari domain"]
    assert bot[0].data["buttons"] == [{"title": "ok", "payload": "/affirm"}]
    assert [(event.key, event.value) for event in events if isinstance(event, SlotSet)] == [
        ("language", "en"),
        ("seen_forms", ["stub_form"]),
    ]


def test_a_rejection_lets_rasa_choose_again(in_process) -> None:
    with pytest.raises(ActionExecutionRejection, match="not a form answer"):
        run("action_reject_the_input", tracker())


def test_a_failing_action_fails_the_action_and_logs_only_its_name_and_error_class(in_process, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(
        RasaException, match="Failed to execute custom action 'action_fail_with_the_users_words'"
    ) as failed:
        run("action_fail_with_the_users_words", tracker("paspor saya A1234567 ditahan"))
    assert failed.value.__suppress_context__  # Rasa's traceback will not show the original message
    assert "action_fail_with_the_users_words failed: RuntimeError" in caplog.text
    assert "A1234567" not in caplog.text


def test_an_unknown_action_fails_without_a_traceback_of_the_call(in_process, caplog) -> None:
    with pytest.raises(RasaException, match="Failed to execute custom action 'action_nobody_wrote'"):
        run("action_nobody_wrote", tracker())
    assert "no action named action_nobody_wrote" in caplog.text


def test_a_blocking_action_does_not_hold_up_the_event_loop(in_process) -> None:
    async def both() -> float:
        action = RemoteAction("action_block_three_seconds", None)
        nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
        started = time.monotonic()
        slow = asyncio.ensure_future(action.run(CollectingOutputChannel(), nlg, tracker(), DOMAIN))
        await asyncio.sleep(0.05)
        quick = await RemoteAction("action_echo_what_it_got", None).run(
            CollectingOutputChannel(), nlg, tracker(), DOMAIN
        )
        answered_after = time.monotonic() - started
        await slow
        # The quick action's own answer, complete, not mixed with the slow one's.
        assert [event.text for event in quick if isinstance(event, BotUttered)] == [
            "you said: gaji ssw brp kak",
            "halo dari domain",
        ]
        return answered_after

    assert asyncio.run(both()) < 1.0


def test_the_domain_dictionary_is_made_once_per_loaded_domain(in_process, monkeypatch) -> None:
    calls: List[int] = []
    as_dict = Domain.as_dict
    monkeypatch.setattr(Domain, "as_dict", lambda self: calls.append(1) or as_dict(self))
    for _ in range(3):
        run("action_echo_what_it_got", tracker())
    assert len(calls) == 1


def test_an_action_gets_its_own_copies_of_the_domain_the_slots_and_the_latest_message(in_process) -> None:
    state = tracker()
    state.update(SlotSet("seen_forms", ["stub_form"]))
    run("action_change_what_it_was_given", state)
    assert state.get_slot("seen_forms") == ["stub_form"]
    assert state.latest_message.entities == []
    # The next call's domain is the loaded one, not the changed one.
    events = run("action_echo_what_it_got", tracker())
    assert ("seen_forms", ["stub_form"]) in [(e.key, e.value) for e in events if isinstance(e, SlotSet)]
    assert DOMAIN.forms["stub_form"]["required_slots"] == ["answer"]


def test_an_answer_that_is_not_plain_json_fails_the_action_as_over_http(in_process, caplog) -> None:
    with pytest.raises(RasaException, match="action_answer_with_a_set"):
        run("action_answer_with_a_set", tracker())
    assert "action_answer_with_a_set failed: TypeError" in caplog.text


def test_a_call_that_takes_too_long_fails(runner: InProcessActions) -> None:
    call = {
        "next_action": "action_block_three_seconds",
        "sender_id": "x",
        "tracker": tracker().current_state(),
        "domain": DOMAIN.as_dict(),
    }
    # asyncio.wait_for raises a bare TimeoutError with no message; the exact type is what matters.
    with pytest.raises(asyncio.TimeoutError) as raised:
        asyncio.run(runner.run(call, timeout=0.2))
    assert type(raised.value) is asyncio.TimeoutError and str(raised.value) == ""


def test_tasks_an_action_leaves_behind_are_cancelled_when_it_returns(in_process) -> None:
    from tests.unit.in_process_stub_actions import ActionLeaveATaskBehind

    run("action_leave_a_task_behind", tracker())
    assert ActionLeaveATaskBehind.started and ActionLeaveATaskBehind.started[-1].cancelled()
