"""The erasure rules, checked by Rasa's own RulePolicy trained on domain.yml and stories/ alone (no
NLU, no model file; a few seconds): the question interrupts any form, only a yes right after it
erases, and "Batal" leads to the cancel action, whose follow-up brings the form back."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import List, Tuple

import numpy as np
import pytest

from bot.settings import get_settings

ROOT = get_settings().project_root


@pytest.fixture(scope="module")
def policy() -> Tuple[object, object]:
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.core.generator import TrainingDataGenerator
    from rasa.shared.importers.importer import TrainingDataImporter

    importer = TrainingDataImporter.load_from_config(
        config_path=str(ROOT / "config.yml"),
        domain_path=str(ROOT / "domain.yml"),
        training_data_paths=[str(ROOT / "stories")],
    )
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(
        importer.get_stories(), domain, augmentation_factor=0, use_story_concatenation=False
    ).generate()
    with tempfile.TemporaryDirectory() as folder:
        rule_policy = RulePolicy.create(
            {**RulePolicy.get_default_config(), "core_fallback_threshold": 0.3, "enable_fallback_prediction": True},
            LocalModelStorage(Path(folder)),
            Resource("rules"),
            ExecutionContext(GraphSchema({}), "privacy"),
        )
        # Training raises on contradicting or incomplete rules, as `rasa train` would.
        rule_policy.train(trackers, domain)
    return rule_policy, domain


def _next(policy, events: List) -> str:
    from rasa.shared.core.trackers import DialogueStateTracker

    rule_policy, domain = policy
    prediction = rule_policy.predict_action_probabilities(
        DialogueStateTracker.from_events("privacy-test", events, domain.slots), domain
    )
    return domain.action_names_or_texts[int(np.argmax(prediction.probabilities))]


def _user(intent: str):
    from rasa.shared.core.events import UserUttered

    return UserUttered(f"<{intent}>", {"name": intent, "confidence": 1.0})


def _action(name: str):
    from rasa.shared.core.events import ActionExecuted

    return ActionExecuted(name)


def _start() -> List:
    from rasa.shared.core.events import SessionStarted

    return [_action("action_session_start"), SessionStarted(), _action("action_listen")]


def _asked(before: List) -> List:
    return [*before, _user("erase_my_data"), _action("action_ask_erase_my_data")]


def test_outside_a_flow_only_a_yes_right_after_the_question_erases(policy) -> None:
    assert _next(policy, [*_start(), _user("erase_my_data")]) == "action_ask_erase_my_data"
    asked = _asked(_start())
    assert _next(policy, asked) == "action_listen"
    assert _next(policy, [*asked, _action("action_listen"), _user("affirm")]) == "action_erase_my_data"
    assert _next(policy, [*asked, _action("action_listen"), _user("deny")]) == "action_erase_cancelled"
    assert _next(policy, [*asked, _action("action_listen"), _user("cancel")]) == "action_erase_cancelled"
    # Anything else leaves the question: no erasure later on a yes meant for something else.
    assert _next(policy, [*asked, _action("action_listen"), _user("greet")]) == "action_greet"
    assert _next(policy, [*_start(), _user("affirm")]) == "action_follow_suggestion"


@pytest.mark.parametrize(
    "form, opening, requested",
    [
        ("report_form", ["report_recruiter", "action_start_report"], "report_recruiter_name"),
        ("offer_form", ["check_offer", "action_prefill_offer"], "offer_text"),
        ("status_form", ["check_report_status", "action_prefill_status"], "status_pin"),
    ],
)
def test_the_question_interrupts_any_form_and_batal_leads_back(policy, form, opening, requested) -> None:
    from rasa.shared.core.events import ActionExecutionRejected, ActiveLoop, SlotSet

    intent, first_action = opening
    in_form = [
        *_start(),
        _user(intent),
        _action(first_action),
        _action(form),
        ActiveLoop(form),
        SlotSet("requested_slot", requested),
        _action("action_listen"),
    ]
    # The form runs first and rejects the message (erase_my_data is no answer: domain.yml).
    assert _next(policy, [*in_form, _user("erase_my_data")]) == form
    rejected = [*in_form, _user("erase_my_data"), ActionExecutionRejected(form)]
    assert _next(policy, rejected) == "action_ask_erase_my_data"
    asked = [
        *rejected,
        _action("action_ask_erase_my_data"),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("erase_resume_form", form),
    ]
    assert _next(policy, asked) == "action_listen"
    assert _next(policy, [*asked, _action("action_listen"), _user("affirm")]) == "action_erase_my_data"
    assert _next(policy, [*asked, _action("action_listen"), _user("deny")]) == "action_erase_cancelled"
    # action_erase_cancelled's FollowupAction runs the form again; then it waits for the answer.
    resumed = [
        *asked,
        _action("action_listen"),
        _user("deny"),
        _action("action_erase_cancelled"),
        SlotSet("erase_resume_form", None),
        _action(form),
        ActiveLoop(form),
        SlotSet("requested_slot", requested),
    ]
    assert _next(policy, resumed) == "action_listen"
