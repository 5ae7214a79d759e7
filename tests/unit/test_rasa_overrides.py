"""bot/rasa_overrides.py: what the Rasa server changes in Rasa 3.6 (speed without a change of
behaviour, and turns that fail instead of forgetting the conversation when the store is down)."""

from __future__ import annotations

import ast
import asyncio
import copy
import inspect
import logging
import random
from pathlib import Path
from typing import Any, Dict, List

import pytest
import rasa.core.processor
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.core.tracker_store import FailSafeTrackerStore, TrackerStore
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.events import (
    ActionExecuted as Executed,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot import rasa_overrides
from bot.rasa_overrides import action_tracker_state, apply, copy_slot

apply()


def test_action_results_are_still_validated_with_rasas_hint() -> None:
    action = RemoteAction("action_check_offer", None)
    assert action._validate_action_result({"events": [], "responses": []})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": "not a list"})


def test_event_types_resolve_as_before_and_unknown_ones_still_fail() -> None:
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("no-such-event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError, match=r"^Unknown event name 'no-such-event'\.$"):
        Event.resolve_by_type("no-such-event")


class BrokenStore(TrackerStore):
    async def retrieve(self, sender_id):  # type: ignore[override]
        raise ConnectionError("database down")

    async def save(self, tracker) -> None:  # type: ignore[override]
        raise ConnectionError("database down")


def test_a_failing_tracker_store_fails_the_turn_instead_of_starting_afresh() -> None:
    store = FailSafeTrackerStore(BrokenStore(None))
    with pytest.raises(ConnectionError, match="^database down$"):
        asyncio.run(store.retrieve("telegram:1"))
    with pytest.raises(ConnectionError, match="^database down$"):
        asyncio.run(store.save(object()))  # type: ignore[arg-type]
    assert store._fallback_tracker_store is None  # nothing went to process memory


# --- applied_events, continued from the last call -------------------------------------------------


def stock_applied_events(tracker: DialogueStateTracker):
    """Rasa's own walk over the whole conversation (the function the override replaced)."""
    from bot import rasa_overrides

    assert rasa_overrides.stock_applied_events is not DialogueStateTracker.applied_events
    return rasa_overrides.stock_applied_events(tracker)


def random_event(rng: random.Random):
    form = rng.choice(["report_form", "status_form"])
    return rng.choice(
        [
            lambda: Executed("action_listen"),
            lambda: UserUttered("x", {"name": "inform", "confidence": 1.0}),
            lambda: Executed(form),
            lambda: ActiveLoop(form),
            lambda: ActiveLoop(None),
            lambda: ActionExecutionRejected(form),
            lambda: SlotSet("requested_slot", "report_location"),
            lambda: UserUtteranceReverted(),
            lambda: ActionReverted(),
            lambda: Restarted(),
            lambda: SessionStarted(),
            lambda: Executed("action_check_offer"),
        ]
    )()


@pytest.mark.parametrize("seed", range(40))
def test_applied_events_continued_match_rasas_walk_at_every_step(seed: int) -> None:
    rng = random.Random(seed)
    tracker = DialogueStateTracker(f"memo-{seed}", [])
    for _ in range(rng.randint(20, 120)):
        for _ in range(rng.randint(1, 4)):
            tracker.update(random_event(rng))
        continued = tracker.applied_events()
        assert continued == stock_applied_events(tracker)
        assert tracker.applied_events() == continued  # asked twice: the same answer
    # The returned lists are copies: changing one does not change the next answer.
    tracker.applied_events().clear()
    assert tracker.applied_events() == stock_applied_events(tracker)


def test_applied_events_start_again_when_the_events_are_replaced_or_bounded() -> None:
    tracker = DialogueStateTracker("memo-reset", [])
    for event in [Executed("action_listen"), UserUttered("a", {"name": "greet"}), Executed("utter_greet")]:
        tracker.update(event)
    assert len(tracker.applied_events()) == 3
    tracker.events = tracker._create_events([Executed("action_listen")])  # replaced, as long as it was
    tracker.events.extend([Executed("utter_a"), Executed("utter_b")])
    assert [event.action_name for event in tracker.applied_events()] == ["action_listen", "utter_a", "utter_b"]
    bounded = DialogueStateTracker("memo-bounded", [], max_event_history=3)
    for name in ["a", "b", "c", "d", "e"]:
        bounded.update(Executed(f"utter_{name}"))
        assert [event.action_name for event in bounded.applied_events()] == [
            event.action_name for event in list(bounded.events)
        ]


# --- graph runs without dask ------------------------------------------------------------------


class _Arithmetic(GraphComponent):
    """Adds what it is given (and its configured offset), or fails as configured."""

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = config

    @classmethod
    def create(cls, config: Dict[str, Any], model_storage: Any, resource: Any, execution_context: Any) -> "_Arithmetic":
        return cls(config)

    def add(self, **inputs: Any) -> Any:
        CALLS.append(self.config["name"])
        if self.config.get("fails"):
            raise self.config["fails"]("failed on purpose")
        return sum(inputs.values()) + self.config.get("offset", 0)


CALLS: List[str] = []


def _node(name: str, needs: Dict[str, str], **config: Any) -> SchemaNode:
    return SchemaNode(
        needs=needs,
        uses=_Arithmetic,
        fn="add",
        constructor_name="create",
        config={"name": name, **config},
        is_target=name.startswith("target"),
    )


GRAPH = GraphSchema(
    {
        "first": _node("first", {"x": "__x__"}, offset=1),
        "second": _node("second", {"a": "first", "x": "__x__"}, offset=10),
        "third": _node("third", {"a": "first", "b": "second"}),
        "target_all": _node("target_all", {"a": "third", "b": "second", "c": "first"}),
        "target_one": _node("target_one", {"a": "first"}, offset=100),
        "unused": _node("unused", {"a": "target_all"}),
        "broken": _node("broken", {"a": "first"}, fails=RuntimeError),
        "refusing": _node("refusing", {"a": "first"}, fails=ValueError),
    }
)


def _runner(tmp_path: Path) -> DaskGraphRunner:
    return DaskGraphRunner(GRAPH, LocalModelStorage(tmp_path), ExecutionContext(GRAPH, "model"))


@pytest.mark.parametrize("targets", [None, ["target_all"], ["target_one"], ["third", "first"], ["unused"]])
def test_graph_runs_give_what_dask_gives_calling_each_node_once(tmp_path: Path, targets) -> None:
    import bot.rasa_overrides as overrides

    runner = _runner(tmp_path)
    for x in (0, 5):
        CALLS.clear()
        expected = overrides.stock_graph_run(runner, {"__x__": x}, targets)
        stock_calls = sorted(CALLS)
        CALLS.clear()
        assert runner.run({"__x__": x}, targets) == expected
        assert sorted(CALLS) == stock_calls  # the same nodes, each once (the order of the needs may differ)
    CALLS.clear()
    runner.run({"__x__": 1}, ["third"])
    assert CALLS.index("first") < CALLS.index("second") < CALLS.index("third")


def test_graph_run_failures_are_rasas(tmp_path: Path) -> None:
    import bot.rasa_overrides as overrides

    runner = _runner(tmp_path)
    for run in (runner.run, lambda *args: overrides.stock_graph_run(runner, *args)):
        for failing, error in (("broken", RuntimeError), ("refusing", ValueError)):
            with pytest.raises(GraphComponentException, match=f"node {failing}") as raised:
                run({"__x__": 1}, [failing])
            assert isinstance(raised.value.__cause__, error)
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            run({"__x__": "first"}, ["second"])
        # An input given under a node's name replaces the node.
        assert run({"__x__": 2, "first": 40}, ["second"]) == {"second": 52}


def test_a_runtime_error_of_the_run_itself_becomes_rasas_graph_run_error(tmp_path: Path) -> None:
    import bot.rasa_overrides as overrides

    def failing(*inputs: Any) -> Any:
        raise RuntimeError("scheduler failed")

    runner = _runner(tmp_path)
    runner._instantiated_nodes = {**runner._instantiated_nodes, "first": failing}
    for run in (runner.run, lambda *args: overrides.stock_graph_run(runner, *args)):
        with pytest.raises(GraphRunError, match="Error running runner") as raised:
            run({"__x__": 1}, ["second"])
        assert isinstance(raised.value.__cause__, RuntimeError)


def test_an_input_naming_an_earlier_input_is_refused_as_by_rasa(tmp_path: Path) -> None:
    import bot.rasa_overrides as overrides

    runner = _runner(tmp_path)
    for run in (runner.run, lambda *args: overrides.stock_graph_run(runner, *args)):
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            run({"__x__": 1, "__y__": "__x__"}, ["second"])


def test_a_need_nobody_provides_reaches_the_node_as_its_name(tmp_path: Path, caplog) -> None:
    runner = _runner(tmp_path)
    with pytest.raises(GraphRunError, match="Missing input"):
        runner.run({}, ["first"])
    assert "'__x__' was not resolved" in caplog.text


def test_the_graph_order_is_worked_out_once_per_set_of_targets(tmp_path: Path, monkeypatch) -> None:
    import bot.rasa_overrides as overrides

    runner = _runner(tmp_path)
    worked_out = []
    real = overrides.graph_run_order
    monkeypatch.setattr(overrides, "graph_run_order", lambda *args: worked_out.append(args[1]) or real(*args))
    for _ in range(3):
        runner.run({"__x__": 1}, ["target_one"])
        runner.run({"__x__": 1}, ["third"])
    assert worked_out == [["target_one"], ["third"]]


# --- rules found by their last intent ---------------------------------------------------------


def _random_state(rng: random.Random, for_rule: bool) -> Dict[str, Any]:
    from rasa.shared.core.constants import SHOULD_NOT_BE_SET

    state: Dict[str, Any] = {}
    if rng.random() < 0.85:
        state["prev_action"] = {"action_name": rng.choice(["action_listen", "utter_a", "report_form", "action_b"])}
    roll = rng.random()
    if roll < 0.6:
        state["user"] = {"intent": rng.choice(["greet", "affirm", "deny", "report", "ask"])}
    elif roll < 0.7 and for_rule:
        state["user"] = {"intent": SHOULD_NOT_BE_SET}
    elif roll < 0.8 and not for_rule:
        state["user"] = {"text": "halo"}
    if rng.random() < 0.3:
        state["active_loop"] = {"name": rng.choice(["report_form", SHOULD_NOT_BE_SET] if for_rule else ["report_form"])}
    if rng.random() < 0.3:
        state["slots"] = {"language": rng.choice([(1.0,), (0.0,)])}
    return state


@pytest.mark.parametrize("seed", range(6))
def test_rules_found_by_last_intent_are_the_rules_rasa_finds(seed: int) -> None:
    import json

    from rasa.core.policies.rule_policy import RulePolicy

    import bot.rasa_overrides as overrides

    rng = random.Random(seed)
    lookup = {
        json.dumps([_random_state(rng, True) for _ in range(rng.randint(0, 4))]): f"action_{n}" for n in range(150)
    }
    policy = RulePolicy.__new__(RulePolicy)  # the matching needs no trained state
    found_any = 0
    for _ in range(300):
        states = [_random_state(rng, False) for _ in range(rng.randint(0, 9))]
        expected = overrides.stock_possible_keys(policy, lookup, states)
        assert policy._get_possible_keys(lookup, states) == expected
        found_any += bool(expected) and len(expected) < len(lookup)
    assert found_any > 30  # the cases are not all trivial


@pytest.mark.parametrize("intent", [["greet"], {"name": "greet"}, 3, None])
def test_a_last_intent_that_is_not_a_name_tests_every_rule_as_rasa_does(intent: Any) -> None:
    """The tracker API takes any JSON as an intent: Rasa then finds no intent rule, and no crash."""
    import json

    from rasa.core.policies.rule_policy import RulePolicy

    import bot.rasa_overrides as overrides

    policy = RulePolicy.__new__(RulePolicy)
    greet = json.dumps([{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}])
    listen = json.dumps([{"prev_action": {"action_name": "action_listen"}}])
    lookup = {greet: "utter_greet", listen: "utter_listen"}
    states = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": intent}}]
    assert policy._get_possible_keys(lookup, states) == overrides.stock_possible_keys(policy, lookup, states)


def test_the_rule_index_follows_a_replaced_or_changed_lookup() -> None:
    import json

    from rasa.core.policies.rule_policy import RulePolicy

    policy = RulePolicy.__new__(RulePolicy)
    greet = json.dumps([{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}])
    deny = json.dumps([{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "deny"}}])
    state = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "deny"}}]
    lookup = {greet: "utter_greet"}
    assert policy._get_possible_keys(lookup, state) == set()
    lookup[deny] = "utter_deny"
    assert policy._get_possible_keys(lookup, state) == {deny}
    assert policy._get_possible_keys({deny: "utter_deny"}, state) == {deny}
    assert policy._get_possible_keys({greet: "utter_greet"}, state) == set()


# --- tracker copies without replaying the conversation ------------------------------------------


DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain.yml"))


def random_conversation_event(rng: random.Random):
    """The events of a conversation with the domain's slots and forms, in any order."""
    slot = rng.choice(DOMAIN.slots)
    value = rng.choice([None, "ya", "Bekasi", 3, 2.5, True, ["a", "b"], {"kota": "Medan"}])
    form = rng.choice(DOMAIN.form_names)
    return rng.choice(
        [
            lambda: random_event(rng),
            lambda: SlotSet(slot.name, value),
            lambda: UserUttered(
                rng.choice(["mau lapor", "cek status", "ok"]),
                {"name": rng.choice(["report", "affirm", "inform"]), "confidence": 0.9},
                [{"entity": "city", "value": "Medan", "start": 0, "end": 5}],
                {"intent_ranking": [{"name": "report", "confidence": 0.9}], "text": "x"},
            ),
            lambda: BotUttered("Halo", {"buttons": [{"title": "Ya", "payload": "/affirm"}]}),
            lambda: ActiveLoop(form),
            lambda: Executed(form),
            lambda: LoopInterrupted(rng.choice([True, False])),
            lambda: ActionExecutionRejected(form),
            lambda: FollowupAction("action_listen"),
            lambda: ConversationPaused(),
            lambda: ConversationResumed(),
        ]
    )()


def conversation(seed: int, length: int) -> List[DialogueStateTracker]:
    """Every prefix of a random conversation, each as a tracker Rasa built by replaying it."""
    rng = random.Random(seed)
    events = [random_conversation_event(rng) for _ in range(length)]
    return [DialogueStateTracker.from_events(f"copy-{seed}", events[:end], DOMAIN.slots) for end in range(length + 1)]


def everything_of(tracker: DialogueStateTracker) -> Dict[str, Any]:
    """What a tracker holds: its state, its events (the same objects), every slot's attributes."""
    return {
        # (applied_events remembers its last answer in the tracker: a cache, not state)
        "attributes": sorted(set(vars(tracker)) - {rasa_overrides._APPLIED_MEMO}),
        "state": tracker.current_state(EventVerbosity.ALL),
        "events": [id(event) for event in tracker.events],
        "slots": {name: (type(slot), vars(slot)) for name, slot in tracker.slots.items()},
        "active_loop": tracker.active_loop,
        "latest_message": tracker.latest_message,
        "latest_bot_utterance": tracker.latest_bot_utterance,
        "is_rule_tracker": tracker.is_rule_tracker,
        "sender_source": tracker.sender_source,
        "model_id": (tracker.model_id, tracker.assistant_id),
    }


def test_slot_copies_are_what_copy_copy_makes() -> None:
    for domain_slot in DOMAIN.slots:
        slot = copy.copy(domain_slot)  # the shared domain stays as it is
        slot.value = ["changed"] if slot.type_name == "list" else slot.value
        twin = copy_slot(slot)
        stock = copy.copy(slot)
        assert twin is not slot and type(twin) is type(stock) and vars(twin) == vars(stock)
        twin.value = "other"
        assert slot.value != "other"


def test_a_slot_class_with_its_own_copy_is_copied_its_way() -> None:
    from rasa.shared.core.slots import TextSlot

    class Counted(TextSlot):
        copies = 0

        def __copy__(self) -> "Counted":
            Counted.copies += 1
            twin = Counted(self.name, self.mappings)
            twin.value = self.value
            return twin

    copy_slot(Counted("x", []))
    assert Counted.copies == 1


@pytest.mark.parametrize("seed", range(30))
def test_tracker_copies_hold_what_replaying_gives_at_every_step(seed: int) -> None:
    for tracker in conversation(seed, 60):
        fast = tracker.copy()
        stock = rasa_overrides.stock_tracker_copy(tracker)
        assert everything_of(fast) == everything_of(stock)
        # Rasa's processor clears the follow-up without an event before running an action: a
        # replayed copy has it back, and so must this one.
        tracker.clear_followup_action()
        assert everything_of(tracker.copy()) == everything_of(rasa_overrides.stock_tracker_copy(tracker))
        # The copy is a tracker of its own: changing it leaves the original as it was.
        before = copy.deepcopy(everything_of(tracker))
        for slot in fast.slots.values():
            slot.value = "changed"
        if fast.active_loop:
            fast.reject_action(fast.active_loop.name)
            fast.interrupt_loop(True)
        assert everything_of(tracker) == before


@pytest.mark.parametrize("seed", range(30))
def test_form_temporary_trackers_hold_what_replaying_gives(seed: int) -> None:
    rng = random.Random(seed)
    for tracker in conversation(seed, 50):
        form = FormAction(rng.choice(DOMAIN.form_names), None)
        extra = [SlotSet(rng.choice(DOMAIN.slots).name, "Bekasi")]
        fast = form._temporary_tracker(tracker, list(extra), DOMAIN)
        stock = rasa_overrides.stock_temporary_tracker(form, tracker, list(extra), DOMAIN)
        fast_all, stock_all = everything_of(fast), everything_of(stock)
        # The two SlotSet/ActionExecuted events each makes are new objects: compared by value.
        assert fast.events == stock.events
        fast_all.pop("events"), stock_all.pop("events")
        fast_all["state"]["events"] = [{**event, "timestamp": None} for event in fast_all["state"]["events"]]
        stock_all["state"]["events"] = [{**event, "timestamp": None} for event in stock_all["state"]["events"]]
        fast_all["state"]["latest_event_time"] = stock_all["state"]["latest_event_time"] = None
        assert fast_all == stock_all


def test_trackers_rasa_replays_differently_are_copied_the_stock_way(monkeypatch) -> None:
    calls: List[str] = []
    stock_copy = rasa_overrides.stock_tracker_copy
    monkeypatch.setattr(
        rasa_overrides, "stock_tracker_copy", lambda tracker: calls.append("copy") or stock_copy(tracker)
    )

    class OwnTracker(DialogueStateTracker):
        pass

    bounded = DialogueStateTracker("bounded", DOMAIN.slots, max_event_history=3)
    without_domain = DialogueStateTracker("no-domain", None)
    subclassed = OwnTracker("own", DOMAIN.slots)
    reverted = DialogueStateTracker("reverted", DOMAIN.slots)
    for tracker in (bounded, without_domain, subclassed, reverted):
        for name in ["a", "b", "c", "d"]:
            tracker.update(Executed(f"utter_{name}"))
    reverted.update(ActionReverted())  # its follow-up comes from Rasa's replay after the undo
    for tracker in (bounded, without_domain, subclassed, reverted):
        assert tracker.copy().events == tracker.events
    assert calls == ["copy"] * 4


def test_a_form_tracker_whose_slots_differ_from_the_domains_is_built_the_stock_way(monkeypatch) -> None:
    calls: List[str] = []
    stock = rasa_overrides.stock_temporary_tracker
    monkeypatch.setattr(rasa_overrides, "stock_temporary_tracker", lambda *args: calls.append("stock") or stock(*args))
    form = FormAction("report_form", None)
    same = DialogueStateTracker.from_events("same", [ActiveLoop("report_form")], DOMAIN.slots)
    form._temporary_tracker(same, [], DOMAIN)
    assert calls == []
    older = [copy.copy(slot) for slot in DOMAIN.slots]
    older[0].initial_value = "from an older domain"
    differing = DialogueStateTracker.from_events("older", [ActiveLoop("report_form")], older)
    built = form._temporary_tracker(differing, [], DOMAIN)
    assert calls == ["stock"] and built.slots[older[0].name].initial_value == DOMAIN.slots[0].initial_value


@pytest.mark.parametrize("seed", range(20))
def test_the_action_call_carries_the_tracker_as_rasa_states_it(seed: int) -> None:
    for tracker in conversation(seed, 40):
        state = action_tracker_state(tracker)
        assert state == tracker.current_state(EventVerbosity.ALL)
        # What an action does to its copy stays there.
        before = copy.deepcopy(tracker.current_state(EventVerbosity.ALL))
        for value in state["slots"].values():
            if isinstance(value, (list, dict)):
                value.clear()
        state["latest_message"]["intent"]["name"] = "changed"
        state["latest_message"]["entities"].append({"entity": "x"})
        if state["active_loop"]:
            state["active_loop"]["trigger_message"] = None
            state["active_loop"]["rejected"] = "changed"
        assert tracker.current_state(EventVerbosity.ALL) == before


# --- copies for debug lines only ------------------------------------------------------------------


def test_every_deep_copy_of_rasas_processor_is_an_argument_of_a_debug_line() -> None:
    # What makes skipping them safe; a Rasa version that copies for another reason fails here.
    tree = ast.parse(inspect.getsource(rasa.core.processor))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    copies = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "copy"
    ]
    assert copies
    for node in copies:
        assert node.attr == "deepcopy"
        call, line = parents[node], parents[parents[node]]
        while isinstance(line, ast.keyword):
            line = parents[line]
        assert isinstance(call, ast.Call) and isinstance(line, ast.Call)
        assert ast.unparse(line.func) == "structlogger.debug", ast.unparse(line)


def test_the_processors_copies_are_made_only_when_debug_lines_are_written() -> None:
    events = [SlotSet("report_location", {"kota": "Medan"})]
    rasa_logger = logging.getLogger("rasa")
    level = rasa_logger.level
    try:
        rasa_logger.setLevel(logging.INFO)
        assert rasa.core.processor.copy.deepcopy(events) is events
        rasa_logger.setLevel(logging.DEBUG)
        copied = rasa.core.processor.copy.deepcopy(events)
    finally:
        rasa_logger.setLevel(level)
    assert [event.as_dict() for event in copied] == [event.as_dict() for event in events]
    assert copied is not events and copied[0] is not events[0]
