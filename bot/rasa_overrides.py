"""What the Rasa server process changes in Rasa 3.6, in one place (applied by bot/rasa_server.py
before Rasa starts). Eight changes are for speed and leave behaviour unchanged, two are for steady
latency under load, and one is for faults.

Profiling a turn (issue 11) showed a sixth of the Rasa server's CPU in ``jsonschema``:
``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` on every action-server
response, which checks the schema itself and builds a new validator each time. Here the validator
is built once per schema and reused; a response that fails validation still raises the same
``ValidationError`` with Rasa's own hint appended.

``EndpointConfig.request`` opens a new aiohttp session, and so a new TCP connection, for every
call to the action server (once or more per turn). Here each endpoint configuration gets one
session per event loop, kept open, so calls reuse kept-alive connections. Headers, authentication
and timeouts are the configuration's own, as before.

``Event.resolve_by_type`` walks every subclass of ``Event`` (with ``inspect.isabstract`` on each)
for every event it deserialises: loading a tracker of 300 events took 9.9 ms, 0.9 ms with the
lookup remembered per type name (measured with /tmp tooling on this machine; the bench reports
the effect on whole turns). A name not found yet is looked up the stock way every time, so event
classes defined later are still found.

``DialogueStateTracker.applied_events`` (the events minus the reverted ones) walks the whole
conversation, and back through it again at every form step, each time it is asked: three to four
times per turn (the session check twice, every policy prediction once). A yappi profile of the
Rasa server under the bench put a third of its CPU there. Here each tracker remembers its last
answer with how many events it covered, and a later call continues from there over the new
events only. The walk is Rasa's own, so the result is the same list; it is redone from the start
whenever continuing could differ: the events were replaced (a restart of the tracker), the
tracker keeps a bounded history, or a new form name appeared (Rasa checks every loop name of the
whole conversation at each step).

**Tracker copies.** ``DialogueStateTracker.copy`` builds a new tracker and replays the whole
conversation onto it, and Rasa copies the tracker before every action it runs (three to four per
turn); a form's step builds two more trackers the same way (``FormAction._temporary_tracker``,
for its validation). Every new tracker also copies each domain slot through ``copy.copy``'s
generic path. In a yappi profile of the Rasa server under the bench, these were a seventh of its
CPU. Rasa's design makes a tracker's state the product of its events alone, so here the copy is a
new tracker with the same events and the state the tracker already has (the slots copied
attribute by attribute, the active loop copied because Rasa changes it in place); the form's
temporary tracker holds the events after the latest restart, as Rasa's does, and then gets the
same added events. Trackers whose replay could differ are left to Rasa: a bounded history (its
dropped events still shaped the state), trackers without a domain's slots, another tracker class,
a form whose domain slots are not the tracker's.

``MessageProcessor`` deep-copies the events of every action it runs, the parse and the slots,
only to pass them to debug log lines, which are dropped below DEBUG (2% of the server's CPU in
the same profile): here the copies are made only when debug lines are written.

``DaskGraphRunner.run`` hands each graph run (one per parse and per policy prediction, three to
four per turn) to ``dask.get``, which orders the graph, schedules every node as a task and packs
its result, and Rasa first cuts the schema down to the targets, every time. In one-process A/B
runs alternating both runners on the bench's conversations, the parse took 1.1-1.2 ms less CPU
(9.0 -> 7.9 and 8.7 -> 7.5 ms, docs/deploy.md). Here the order of the nodes each set of targets
needs is worked out once per runner (the schema of a loaded model does not change), and each run
calls the nodes in that order with their inputs, as dask would: each node once, a need nobody
provides passed as its name (GraphNode warns, as before), an input named like a node refused
with Rasa's error, a ``RuntimeError`` wrapped in ``GraphRunError``, the result keyed by target.

``RulePolicy._get_possible_keys`` finds the rules that fit the conversation by testing every rule
(about 140 here) against the last state, then the survivors against each earlier state, back to
the start of the conversation, twice per prediction. Here two things are known before testing:
a rule whose last state asks for a user intent (and follows an action) cannot fit a last state
with another intent, so only the rules of that intent and those asking for none are tested; and
once the states walked back are more than the longest surviving rule, every survivor fits, so
the walk stops there. Each remaining rule is tested by Rasa's own ``_is_rule_applicable``. The
index is rebuilt when the lookup is replaced or its size changes; Rasa fills the lookup at
training and only removes from it there, never while serving.

**Steady latency.** Each turn holds a place in the turn gate (bot/turn_gate.py, first come first
served, ``RASA_TURNS_AT_ONCE``), so a turn is not spread thin across every other turn in progress.
And once the model is loaded its objects are frozen out of the garbage collector
(``freeze_loaded_objects``): collecting the oldest generation walked them all and stopped the
replica for most of a second.

**Faults.** Rasa wraps the tracker store in ``FailSafeTrackerStore``: when the database cannot be
read, a turn silently starts a *new, empty* conversation, and when it cannot be written, the
conversation goes to process memory. A user in the middle of a report then gets an answer that
ignores everything they said, and what they say is lost when the process stops (its log line
also quotes the database error, which can carry message text). Here a failing tracker store fails
the turn instead: the channel tells the user to send the message again (REST: 503; Telegram and
WhatsApp: the inbox keeps the message), and the stored conversation is untouched.

**Actions in the process** (the default, bot/in_process_actions.py): ``RemoteAction.run`` hands
the action call to rasa_sdk's executor in this process instead of posting it to the action
server. The call is the one Rasa would send (the domain serialised once per loaded domain, each
call getting its own copy, as do the slots, the latest message and the active loop, copied as
JSON carries them rather than by ``dataclasses.asdict`` and ``deepcopy``); the answer goes through the
same utterances and event deserialisation (not the JSON-schema check meant for a remote server).
A failing action is logged by name and error class only (its message can quote what the user
wrote) and fails as a failed HTTP call would.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import functools
import gc
import itertools
import json
import logging
import weakref
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Text, Tuple

from bot.settings import get_settings
from bot.turn_gate import TURN_GATE, TurnGate

if TYPE_CHECKING:
    from bot.in_process_actions import InProcessActions

logger = logging.getLogger("bot.actions")

_applied = False


class _KeptSession:
    """``async with`` around a shared session that leaves it open at the end of the block."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *_: Any) -> Optional[bool]:
        return None


def _keep_sessions_open() -> None:
    from rasa.utils.endpoints import EndpointConfig

    make_session = EndpointConfig.session
    # Per event loop (weakly: a closed loop's sessions go with it), then per configuration.
    sessions: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Dict[str, Any]]" = weakref.WeakKeyDictionary()

    def kept_session(self: EndpointConfig) -> _KeptSession:
        per_config = sessions.setdefault(asyncio.get_running_loop(), {})
        key = repr((self.url, sorted((self.headers or {}).items()), self.basic_auth))
        session = per_config.get(key)
        if session is None or session.closed:
            session = per_config[key] = make_session(self)
        return _KeptSession(session)

    EndpointConfig.session = kept_session


def _step_out_for_endpoint_calls() -> None:
    """Calls to the action server (and any other endpoint Rasa calls) are network round trips:
    the turn leaves the turn gate while one is in flight (bot/turn_gate.py)."""
    from rasa.utils.endpoints import EndpointConfig

    stock = EndpointConfig.request

    async def request(self: EndpointConfig, *args: Any, **kwargs: Any) -> Any:
        async with TURN_GATE.outside():
            return await stock(self, *args, **kwargs)

    EndpointConfig.request = request


def _remember_event_types() -> None:
    from rasa.shared.core.events import Event

    resolve_by_type = Event.resolve_by_type
    known: Dict[str, Any] = {}

    def remembered(type_name: Text, default: Optional[Any] = None) -> Optional[Any]:
        found = known.get(type_name)
        if found is None:
            found = resolve_by_type(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    Event.resolve_by_type = staticmethod(remembered)


_APPLIED_MEMO = "_applied_events_memo"
# Rasa's own DialogueStateTracker.applied_events, kept for bounded histories (and for the tests).
stock_applied_events: Any = None


def _continue_applied_events() -> None:
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        Restarted,
        SessionStarted,
        UserUtteranceReverted,
        UserUttered,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    def walk(tracker: DialogueStateTracker, events: Any, start: int, applied: List[Any], loop_names: set) -> None:
        # Rasa 3.6's DialogueStateTracker.applied_events, from event ``start`` on.
        for event in itertools.islice(events, start, None):
            if isinstance(event, (Restarted, SessionStarted)):
                applied.clear()
            elif isinstance(event, ActionReverted):
                tracker._undo_till_previous(ActionExecuted, applied)
            elif isinstance(event, UserUtteranceReverted):
                tracker._undo_till_previous(UserUttered, applied)
                tracker._undo_till_previous(ActionExecuted, applied)
            elif (
                isinstance(event, ActionExecuted)
                and event.action_name in loop_names
                and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
            ):
                tracker._undo_till_previous_loop_execution(event.action_name, applied)
            else:
                applied.append(event)

    def applied_events(self: DialogueStateTracker) -> List[Any]:
        events = self.events
        if getattr(events, "maxlen", None) is not None:
            # A bounded history drops old events as new ones arrive: nothing to continue from.
            return stock_applied_events(self)

        def loop_names_from(start: int) -> set:
            return {
                event.name
                for event in itertools.islice(events, start, None)
                if isinstance(event, ActiveLoop) and event.name
            }

        memo = self.__dict__.get(_APPLIED_MEMO)
        if memo is not None and memo[0] is events and memo[1] <= len(events) and loop_names_from(memo[1]) <= memo[2]:
            _, start, loop_names, applied = memo
            applied = list(applied)
        else:
            start, loop_names, applied = 0, loop_names_from(0), []
        walk(self, events, start, applied, loop_names)
        self.__dict__[_APPLIED_MEMO] = (events, len(events), loop_names, applied)
        return list(applied)

    global stock_applied_events
    stock_applied_events = DialogueStateTracker.applied_events
    DialogueStateTracker.applied_events = applied_events


def graph_run_order(schema: Any, targets: List[Text]) -> List[Tuple[Text, Tuple[Text, ...]]]:
    """Every node ``targets`` need, each after the nodes it needs, with the names of its inputs."""
    nodes = schema.minimal_graph_schema(targets).nodes
    order: List[Tuple[Text, Tuple[Text, ...]]] = []
    placed: set = set()

    def place(name: Text) -> None:
        # Depth-first; Rasa's schemas are acyclic (validated at training) and a few nodes deep.
        if name in placed or name not in nodes:
            return
        placed.add(name)
        needs = tuple(nodes[name].needs.values())
        for need in needs:
            place(need)
        order.append((name, needs))

    for target in targets:
        place(target)
    return order


_RUN_ORDERS = "_run_orders"
# Rasa's own DialogueStateTracker.copy and FormAction._temporary_tracker (for the tests).
stock_tracker_copy: Any = None
stock_temporary_tracker: Any = None
# What makes copy.copy do more than copy an object's attributes (then copy.copy does the work).
_COPY_HOOKS = ("__copy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__")


@functools.lru_cache(maxsize=None)
def _copies_plainly(kind: type) -> bool:
    ancestors = kind.__mro__[:-1]  # object's own hooks are the plain copy
    return not any(name in vars(ancestor) for ancestor in ancestors for name in _COPY_HOOKS) and not any(
        vars(ancestor).get("__slots__") for ancestor in ancestors
    )


def copy_slot(slot: Any) -> Any:
    """``copy.copy(slot)`` for Rasa's slot classes (a new object with the same attributes), without
    copy's generic path, which Rasa takes for every slot of every tracker it builds."""
    kind: Any = type(slot)
    if not _copies_plainly(kind):
        return copy.copy(slot)
    twin = kind.__new__(kind)
    twin.__dict__.update(slot.__dict__)
    return twin


_UNKNOWN = object()


def replayed_followup_action(events: Sequence[Any]) -> Any:
    """The follow-up action replaying ``events`` gives, read from the last event that sets it;
    ``_UNKNOWN`` when a reverting event comes first (its replay is left to Rasa). Rasa's processor
    clears a tracker's follow-up without an event before running an action, so the tracker's own
    value is not what a replayed copy holds."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        FollowupAction,
        Restarted,
        SessionStarted,
        UserUtteranceReverted,
        UserUttered,
    )

    for event in reversed(events):
        if isinstance(event, (ActionReverted, UserUtteranceReverted)):
            return _UNKNOWN
        if isinstance(event, FollowupAction):
            return event.action_name
        if isinstance(event, (ActionExecuted, UserUttered)):
            return None
        if isinstance(event, Restarted):
            return ACTION_SESSION_START_NAME
        if isinstance(event, SessionStarted):
            return ACTION_LISTEN_NAME
    return ACTION_LISTEN_NAME  # a new tracker's


def tracker_holding(
    tracker: Any, events: List[Any], sender_id: Text, followup_action: Any, is_rule_tracker: bool
) -> Any:
    """A new tracker with ``events``, the state ``tracker`` has now and ``followup_action``. By
    Rasa's design a tracker's state is made by its events (the follow-up aside, see
    ``replayed_followup_action``), so this is what replaying them gives when they are the
    tracker's events (or those after its latest restart, which resets the state)."""
    from rasa.shared.core.trackers import DialogueStateTracker

    twin = DialogueStateTracker(sender_id, (), None, is_rule_tracker=is_rule_tracker)
    twin.events.extend(events)
    twin.slots = {name: copy_slot(slot) for name, slot in tracker.slots.items()}
    twin._paused = tracker._paused
    twin.followup_action = followup_action
    twin.latest_action = tracker.latest_action
    twin.latest_message = tracker.latest_message
    twin.latest_bot_utterance = tracker.latest_bot_utterance
    # Rasa changes the active loop in place (interrupted, rejected): each tracker needs its own.
    twin.active_loop = dataclasses.replace(tracker.active_loop) if tracker.active_loop else None
    return twin


def _copy_trackers_without_replaying() -> None:
    from rasa.core.actions.forms import FormAction
    from rasa.shared.constants import DEFAULT_SENDER_ID
    from rasa.shared.core.constants import REQUESTED_SLOT
    from rasa.shared.core.events import ActionExecuted, SlotSet
    from rasa.shared.core.trackers import AnySlotDict, DialogueStateTracker

    def replays_as_is(tracker: Any) -> bool:
        # A bounded history has dropped events whose effects replaying would lose; a tracker
        # without a domain's slots, or of another class, is left to Rasa.
        return (
            type(tracker) is DialogueStateTracker
            and tracker._max_event_history is None
            and not isinstance(tracker.slots, AnySlotDict)
        )

    def copy_tracker(self: DialogueStateTracker) -> DialogueStateTracker:
        events = list(self.events)
        followup = replayed_followup_action(events) if replays_as_is(self) else _UNKNOWN
        if followup is _UNKNOWN:
            return stock_tracker_copy(self)
        return tracker_holding(self, events, self.sender_id or DEFAULT_SENDER_ID, followup, self.is_rule_tracker)

    def slot_configuration(slot: Any) -> Tuple[Any, ...]:
        return (
            slot.name,
            type(slot),
            sorted((key, repr(value)) for key, value in vars(slot).items() if key not in ("_value", "_has_been_set")),
        )

    def temporary_tracker(
        self: FormAction, current_tracker: DialogueStateTracker, additional_events: List[Any], domain: Any
    ) -> DialogueStateTracker:
        # Rasa replays the events after the latest restart onto the domain's slots, then adds
        # these: the same, from the state the tracker already has. (The follow-up is cleared by
        # the ActionExecuted added, as in Rasa's; its tracker is never a rule tracker.)
        same_slots = replays_as_is(current_tracker) and [slot_configuration(slot) for slot in domain.slots] == [
            slot_configuration(slot) for slot in current_tracker.slots.values()
        ]
        if not same_slots:
            return stock_temporary_tracker(self, current_tracker, additional_events, domain)
        temporary = tracker_holding(
            current_tracker,
            current_tracker.events_after_latest_restart(),
            current_tracker.sender_id,
            None,
            is_rule_tracker=False,
        )
        for event in [
            SlotSet(REQUESTED_SLOT, self.get_slot_to_fill(current_tracker)),
            ActionExecuted(self.name()),
            *additional_events,
        ]:
            temporary.update(event, domain)
        return temporary

    global stock_tracker_copy, stock_temporary_tracker
    stock_tracker_copy = DialogueStateTracker.copy
    stock_temporary_tracker = FormAction._temporary_tracker
    DialogueStateTracker.copy = copy_tracker
    FormAction._temporary_tracker = temporary_tracker


_PROCESSOR_LOGGER = logging.getLogger("rasa.core.processor")


class _CopiesForDebugLines:
    """``copy`` as rasa.core.processor sees it: there every ``copy.deepcopy`` makes an argument of
    a ``structlogger.debug`` line (the events of each action, the parse, the slots), so the copy is
    only made when debug lines are written."""

    @staticmethod
    def deepcopy(value: Any) -> Any:
        # The logger structlog's debug lines are written for (the caller's module).
        return copy.deepcopy(value) if _PROCESSOR_LOGGER.isEnabledFor(logging.DEBUG) else value


def _copy_for_debug_lines_only() -> None:
    import rasa.core.processor as processor

    processor.copy = _CopiesForDebugLines


# Rasa's own DaskGraphRunner.run (for the tests).
stock_graph_run: Any = None


def _run_graphs_without_dask() -> None:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    def run(
        self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None, targets: Optional[List[Text]] = None
    ) -> Dict[Text, Any]:
        run_targets = list(targets if targets else self._graph_schema.target_names)
        orders = self.__dict__.setdefault(_RUN_ORDERS, {})
        order = orders.get(tuple(run_targets))
        if order is None:
            order = orders[tuple(run_targets)] = graph_run_order(self._graph_schema, run_targets)
        results: Dict[Text, Any] = {}
        for input_name, input_value in (inputs or {}).items():
            # Rasa refuses a value naming a node or an input given before it (both are graph keys).
            if isinstance(input_value, str) and (
                input_value in results or any(input_value == name for name, _ in order)
            ):
                raise GraphRunError(
                    f"Input value '{input_value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            results[input_name] = (input_name, input_value)
        nodes = self._instantiated_nodes
        try:
            for name, needs in order:
                if name not in results:  # an input given under a node's name replaces it, as in dask
                    results[name] = nodes[name](*(results.get(need, need) for need in needs))
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
        return dict(results[target] for target in run_targets)

    global stock_graph_run
    stock_graph_run = DaskGraphRunner.run
    DaskGraphRunner.run = run


_RULE_INDEX = "_rule_index_by_last_intent"
# Rasa's own RulePolicy._get_possible_keys (for the tests).
stock_possible_keys: Any = None


def rules_by_last_intent(rule_keys: Any, rule_states: Any) -> Tuple[Dict[Text, set], set, Dict[Text, int]]:
    """The rules whose last state asks for a user intent after an action, by that intent; the
    others (which any last state may fit); and each rule's number of states."""
    from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET, USER
    from rasa.shared.nlu.constants import INTENT

    by_intent: Dict[Text, set] = {}
    any_intent: set = set()
    lengths: Dict[Text, int] = {}
    for key in rule_keys:
        states = rule_states(key)
        lengths[key] = len(states)
        last = states[-1] if states else {}
        intent = (last.get(USER) or {}).get(INTENT)
        if last.get(PREVIOUS_ACTION) and isinstance(intent, str) and intent and intent != SHOULD_NOT_BE_SET:
            by_intent.setdefault(intent, set()).add(key)
        else:
            any_intent.add(key)
    return by_intent, any_intent, lengths


def _index_rules_by_last_intent() -> None:
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.constants import USER
    from rasa.shared.nlu.constants import INTENT

    def get_possible_keys(self: RulePolicy, lookup: Dict[Text, Text], states: List[Dict[Text, Any]]) -> set:
        index = self.__dict__.get(_RULE_INDEX, {}).get(id(lookup))
        if index is None or index[0] is not lookup or index[1] != len(lookup):
            index = (lookup, len(lookup), *rules_by_last_intent(lookup.keys(), self._rule_key_to_state))
            self.__dict__.setdefault(_RULE_INDEX, {})[id(lookup)] = index
        _, _, by_intent, any_intent, lengths = index
        last_intent = (states[-1].get(USER) or {}).get(INTENT) if states else None
        if not states or not (last_intent is None or isinstance(last_intent, str)):
            # No state, or an intent that is not a name (the tracker API takes any JSON): test all.
            possible = set(lookup.keys())
        else:
            # A last state without an action is a conversation start: no intent-keyed rule fits
            # it (each follows an action), as Rasa's own test would also find.
            possible = any_intent | by_intent.get(last_intent, set())
        longest = max((lengths[key] for key in possible), default=0)
        for turn, state in enumerate(reversed(states)):
            if turn >= longest:
                break  # every rule left is shorter than the states walked back: all fit
            possible = {key for key in possible if self._is_rule_applicable(key, turn, state)}
            longest = max((lengths[key] for key in possible), default=0)
        return set(possible)

    global stock_possible_keys
    stock_possible_keys = RulePolicy._get_possible_keys
    RulePolicy._get_possible_keys = get_possible_keys


def _fail_turns_when_the_tracker_store_fails() -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore

    async def retrieve(self: FailSafeTrackerStore, sender_id: Text) -> Any:
        return await self._tracker_store.retrieve(sender_id)

    async def retrieve_full_tracker(self: FailSafeTrackerStore, sender_id: Text) -> Any:
        return await self._tracker_store.retrieve_full_tracker(sender_id)

    async def save(self: FailSafeTrackerStore, tracker: Any) -> None:
        await self._tracker_store.save(tracker)

    FailSafeTrackerStore.retrieve = retrieve
    FailSafeTrackerStore.retrieve_full_tracker = retrieve_full_tracker
    FailSafeTrackerStore.save = save


def json_copy(value: Any) -> Any:
    """A copy of ``value`` as JSON would carry it (what an action server receives); a value JSON
    cannot carry is copied as it is."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return copy.deepcopy(value)


def action_tracker_state(tracker: Any) -> Dict[str, Any]:
    """The tracker as an action call carries it."""
    from rasa.shared.core.constants import ACTIVE_LOOP, FOLLOWUP_ACTION

    # Rasa's current_state(EventVerbosity.ALL), with the slot values, the latest message and
    # the active loop copied as JSON, as they would reach the action server: an action changing
    # them must not change the conversation behind Rasa's back. (Rasa's copies the active loop,
    # and the whole parse of the message that started it, with dataclasses.asdict; copying all
    # three again with deepcopy made this a seventh of the Rasa server's CPU in a yappi profile
    # of the bench.) The events are new dictionaries whose nested values (parse data, slot
    # values) are still the events' own, shared with the tracker store's remembered sessions:
    # actions read them and never change them (copying a whole conversation per call would
    # cost more than the store saves).
    loop = tracker.active_loop
    slots, latest_message, active_loop = json_copy(
        [
            tracker.current_slot_values(),
            tracker._latest_message_data(),
            {item.name: getattr(loop, item.name) for item in dataclasses.fields(loop)} if loop else {},
        ]
    )
    return {
        "sender_id": tracker.sender_id,
        "slots": slots,
        "latest_message": latest_message,
        "latest_event_time": tracker.events[-1].timestamp if tracker.events else None,
        FOLLOWUP_ACTION: tracker.followup_action,
        "paused": tracker.is_paused(),
        "events": [event.as_dict() for event in tracker.events],
        "latest_input_channel": tracker.get_latest_input_channel(),
        ACTIVE_LOOP: active_loop,
        "latest_action": tracker.latest_action,
        "latest_action_name": tracker.latest_action_name,
    }


def _run_actions_in_process(runner: "InProcessActions") -> None:
    import rasa
    from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
    from rasa.shared.core import events
    from rasa.shared.exceptions import RasaException
    from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection
    from rasa_sdk.interfaces import ActionNotFoundException

    # The loaded domain as JSON (Domain.as_dict walks every intent, slot and response): each call
    # gets its own copy of it (8 KB, 0.05 ms), as it would from the action server.
    last_domain: List[Tuple[Any, str]] = []

    def domain_dict(domain: Any) -> Dict[str, Any]:
        if not last_domain or last_domain[0][0] is not domain:
            last_domain[:] = [(domain, json.dumps(domain.as_dict()))]
        return json.loads(last_domain[0][1])

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        name = self.name()
        call = {
            "next_action": name,
            "sender_id": tracker.sender_id,
            "tracker": action_tracker_state(tracker),
            "version": rasa.__version__,
            "domain": domain_dict(domain),
        }
        try:
            # In a worker thread: other turns use the event loop meanwhile (bot/turn_gate.py).
            async with TURN_GATE.outside():
                result = await runner.run(call)
        except SdkRejection as rejection:
            # A form validator rejected the input: Rasa lets the policies choose again.
            raise ActionExecutionRejection(rejection.action_name, rejection.message) from None
        except ActionNotFoundException:
            logger.error("actions: no action named %s", name)
            raise RasaException(f"Failed to execute custom action '{name}'") from None
        except Exception as error:  # noqa: BLE001 - logged without its message (it can quote the user)
            logger.error("actions: %s failed: %s", name, error.__class__.__name__)
            raise RasaException(f"Failed to execute custom action '{name}'") from None
        # No JSON-schema check of the answer (a sixth of this path's CPU): it guards against an
        # action server speaking another protocol; here rasa_sdk's executor built the answer and
        # checked its events itself, and Rasa's deserialisation still refuses malformed events.
        bot_messages = await self._utter_responses(result.get("responses", []), output_channel, nlg, tracker)
        return list(bot_messages) + events.deserialise_events(result.get("events", []))

    RemoteAction.run = run


def _gate_turns(gate: TurnGate) -> None:
    """Each turn holds a place in ``gate`` (bot/turn_gate.py) while it runs; the conversation
    lock is taken before (Agent.handle_message), so the gate is always the inner one."""
    from rasa.core.processor import MessageProcessor

    stock = MessageProcessor.handle_message

    async def handle_message(self: MessageProcessor, message: Any) -> Any:
        async with gate.turn():
            return await stock(self, message)

    MessageProcessor.handle_message = handle_message


def freeze_loaded_objects() -> None:
    """Move every object alive now out of the garbage collector's view (``gc.freeze``).

    A loaded model is about 800,000 tracked objects (TensorFlow, the featurisers' vocabularies)
    that live as long as the process. Python's oldest-generation collection walks all of them:
    under the bench each Rasa replica collected every 20-30 s, and each collection stopped every
    turn of that replica for 0.7-0.96 s (gc.callbacks timings on this VM). Frozen, they are never
    walked again; a collection then covers the conversations' own objects only (67-75 ms, and
    far rarer). Frozen objects are the ones the process keeps for its life. One exception: a model
    replaced through the HTTP API (``PUT /model``) leaves the first model frozen, never collected,
    and the new one unfrozen; change models by restarting the replicas, as docs/deploy.md does."""
    gc.collect()
    gc.freeze()


def _freeze_after_loading() -> None:
    import rasa.core.run

    stock = rasa.core.run.load_agent_on_start

    async def load_agent_on_start(*args: Any, **kwargs: Any) -> Any:
        agent = await stock(*args, **kwargs)
        freeze_loaded_objects()
        return agent

    rasa.core.run.load_agent_on_start = load_agent_on_start


def apply(in_process_actions: Optional["InProcessActions"] = None) -> None:
    """Apply every change; with ``in_process_actions``, custom actions run through it."""
    global _applied
    if _applied:
        return
    if in_process_actions is not None:
        _run_actions_in_process(in_process_actions)
    _keep_sessions_open()
    _remember_event_types()
    _continue_applied_events()
    _copy_trackers_without_replaying()
    _copy_for_debug_lines_only()
    _run_graphs_without_dask()
    _index_rules_by_last_intent()
    _fail_turns_when_the_tracker_store_fails()
    TURN_GATE.limit = get_settings().rasa_turns_at_once
    _gate_turns(TURN_GATE)
    _step_out_for_endpoint_calls()
    _freeze_after_loading()
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # once, as jsonschema.validate would on every call
    validator = validator_class(schema)

    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except ValidationError as error:
            error.message += (
                ". Failed to validate Action server response from API, make sure your response from the "
                f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise error

    RemoteAction._validate_action_result = validate_action_result
    _applied = True
