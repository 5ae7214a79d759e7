"""`make eval`: the question and offer benchmarks, end to end through the running assistant.

Starts the real action server and Rasa server once (about a minute), then runs every set:
  python -m tests.eval.run [all|questions|offers] [--model PATH]
The held-out sets (tests/eval/heldout/) are held to the targets; the older sets are printed
separately. Every figure is printed and written (reports/eval/eval.json, one JSON per set and
reports/eval/errors.md) even when a part fails; the exit code is 1 when a target is missed, a
held-out set is missing, or a part could not run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import traceback
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence

from bot.settings import get_settings
from tests.eval import evaluate_guidance as guidance
from tests.eval import evaluate_offers as offers
from tests.eval.judge import HELDOUT_TARGETS, missed_targets
from tests.servers import RasaServer, assistant

ROOT = get_settings().project_root
REPORT_DIR = ROOT / "reports" / "eval"
EXAMPLES_PER_CATEGORY = 40


def _run_set(kind: str, spec: Mapping[str, Any], server: RasaServer) -> Dict[str, Any]:
    path: Path = spec["path"]
    entry: Dict[str, Any] = {
        "set": spec["name"],
        "kind": kind,
        "file": str(path.relative_to(ROOT)),
        "primary": spec["primary"],
        "sealed": spec.get("sealed", False),
    }
    if not path.exists():
        entry["problem"] = f"{entry['file']} does not exist"
        return entry
    try:
        if kind == "questions":
            items = guidance.load_questions(path)
            entry.update(guidance.evaluate_questions(server, items, spec["name"]))
            guidance.print_questions(spec["name"], path, spec["primary"], entry)
        else:
            items = offers.load_offers(path)
            entry.update(offers.evaluate_offers(server, items, spec["name"]))
            offers.print_offers(spec["name"], path, spec["primary"], entry)
    except Exception as error:  # noqa: BLE001 - one broken set must not hide the others' figures
        entry["problem"] = f"{type(error).__name__}: {error}"
        entry["traceback"] = traceback.format_exc()
    return entry


def write_reports(results: Sequence[Mapping[str, Any]], missed: Sequence[str], problems: Sequence[str]) -> Path:
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    for result in results:
        if "items" in result and not result.get("sealed"):
            (REPORT_DIR / f"{result['set']}.json").write_text(
                json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8"
            )
    summary = {
        "finished": dt.datetime.now().isoformat(timespec="seconds"),
        "model": str(get_settings().model_path),
        "targets": [{"name": t.name, "figure": t.figure, "minimum": t.minimum} for t in HELDOUT_TARGETS],
        "missed_targets": list(missed),
        "problems": list(problems),
        "sets": {
            r["set"]: {k: v for k, v in r.items() if k not in ("items", "traceback", "misses", "confusions")}
            for r in results
        },
    }
    (REPORT_DIR / "eval.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    path = REPORT_DIR / "errors.md"
    path.write_text(error_report(results, missed, problems), encoding="utf-8")
    return path


def _question_line(item: Mapping[str, Any]) -> str:
    got = item["last_answer"] or ",".join(item["actions"]) or "-"
    nlu = f"{item['intent']} ({item['confidence']})"
    if item["intent"] == "nlu_fallback" and item.get("best_guess"):
        nlu += f", best guess {item['best_guess'][0]} ({item['best_guess'][1]})"
    return (
        f"- `{item['text']}` — expected **{item['answer']}** {item['expect']}; NLU {nlu}; "
        f'given: {got}; reply: "{item["reply"]}"'
    )


def _offer_line(item: Mapping[str, Any]) -> str:
    parts = [f"kind {item['kind']}"]
    if item["missing"]:
        parts.append(f"missed {item['missing']}")
    if item["extra"]:
        parts.append(f"false {item['extra']}")
    if item["wants_payload"]:
        parts.append(f"level {item['got_level']} (want {item['level']})")
    return f"- `{item['text']}` — " + "; ".join(parts) + (f'; reply: "{item["reply"]}"' if not item["payload"] else "")


def error_report(results: Sequence[Mapping[str, Any]], missed: Sequence[str], problems: Sequence[str]) -> str:
    lines = ["# make eval: error report", ""]
    lines += ["## Targets (held-out sets)", ""]
    lines += [f"- MISSED {m}" for m in missed] or ["- all met"]
    lines += [f"- PROBLEM {p}" for p in problems]
    for result in results:
        lines += ["", f"## {result['set']} ({result['file']})", ""]
        if "items" not in result:
            lines.append(f"Not run: {result.get('problem')}")
            continue
        figures = result["figures"]
        lines += [
            f"- {k}: {round(v, 3) if isinstance(v, float) else v}"
            for k, v in figures.items()
            if not isinstance(v, dict)
        ]
        if result.get("sealed"):
            lines += ["", "Sealed set: figures only; its items are not shown, so it cannot be used for tuning."]
            continue
        if result["kind"] == "questions":
            categories = guidance.QUESTION_LABELS
            for key, label in categories.items():
                rows = [i for i in result["items"] if i["category"] == key]
                lines += ["", f"### {label}: {len(rows)}", ""]
                lines += [_question_line(i) for i in rows[:EXAMPLES_PER_CATEGORY]]
                if len(rows) > EXAMPLES_PER_CATEGORY:
                    lines.append(f"- … and {len(rows) - EXAMPLES_PER_CATEGORY} more (see {result['set']}.json)")
            lines += ["", "### Most frequent confusions of the bare parse (true -> predicted)", ""]
            lines += [f"- {pair}: {count}" for pair, count in result["confusions"][:25]] or ["- none"]
        else:
            for key, label in offers.OFFER_LABELS.items():
                rows = [i for i in result["items"] if key in i["categories"]]
                lines += ["", f"### {label}: {len(rows)}", ""]
                lines += [_offer_line(i) for i in rows[:EXAMPLES_PER_CATEGORY]]
                if len(rows) > EXAMPLES_PER_CATEGORY:
                    lines.append(f"- … and {len(rows) - EXAMPLES_PER_CATEGORY} more (see {result['set']}.json)")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", nargs="?", choices=("all", "questions", "offers"), default="all")
    parser.add_argument("--model", default=str(get_settings().model_path))
    args = parser.parse_args(list(argv))
    plan: List[tuple] = []
    if args.part in ("all", "offers"):
        plan += [("offers", spec) for spec in offers.offer_sets()]
    if args.part in ("all", "questions"):
        plan += [("questions", spec) for spec in guidance.question_sets()]
    model = Path(args.model)
    results: List[Dict[str, Any]] = []
    problems: List[str] = []
    if not model.exists():
        problems.append(f"{model} is missing")
    else:
        try:
            with assistant(model) as server:
                server.send("eval-warm-up", "halo")  # the first turn loads lazily initialised parts
                for kind, spec in plan:
                    results.append(_run_set(kind, spec, server))
        except Exception as error:  # noqa: BLE001 - the servers did not start or died
            problems.append(f"the assistant failed: {type(error).__name__}: {error}")
    for result in results:
        if result.get("problem"):
            problems.append(f"{result['set']}: {result['problem']}")
            if result.get("traceback"):
                print(result["traceback"], file=sys.stderr)
    figures = {
        kind: next((r["figures"] for r in results if r["kind"] == kind and r["primary"] and "figures" in r), {})
        for kind in ("questions", "offers")
    }
    targets = [t for t in HELDOUT_TARGETS if args.part == "all" or t.figure.startswith(args.part)]
    missed = missed_targets(figures, targets)
    report = write_reports(results, missed, problems)
    print(f"\nReports: {REPORT_DIR.relative_to(ROOT)}/eval.json, one JSON per set, {report.relative_to(ROOT)}")
    if missed or problems:
        print("\nmake eval FAILED:")
        for line in [*missed, *problems]:
            print(f"  - {line}")
        return 1
    print("\nAll held-out targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
