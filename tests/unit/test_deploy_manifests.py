"""The deployment files (deploy/) keep the promises docs/deploy.md makes about them.

Each rule is a small checker that returns a list of problems (empty: fine). The tests run every
checker over the real files, and feed each one a deliberately broken manifest to show that it
catches what it is meant to catch. Only PyYAML, the standard library and bot/settings.py (to run
the servers' own start-up check on the manifests' settings): no cluster, no Docker.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple
from unittest import mock
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
APP_ENV_EXAMPLE = DEPLOY / "env" / "app.env.example"
PRODUCTION_ENV_EXAMPLE = DEPLOY / "production.env.example"
SECRET_EXAMPLE = "secret.example.yaml"

# What each process is, how it is started and how its health is asked (docs/deploy.md). "actions"
# is the separate action server: not in the default deployment (the actions run inside Rasa), but
# still a process a deployment may add, so its probes are still checked when it is there.
SERVICES: Dict[str, Dict[str, Any]] = {
    "rasa": {"command": ["python", "-m", "bot.serve", "--only", "rasa"], "port": 5005, "path": "/"},
    "actions": {"command": ["python", "-m", "bot.serve", "--only", "actions"], "port": 5055, "path": "/health"},
    "console": {"command": ["python", "-m", "bot.serve", "--only", "console"], "port": 8080, "path": "/healthz"},
    "alerts": {
        "command": ["python", "-m", "bot.serve", "--only", "alerts"],
        "exec": ["python", "-m", "bot.health", "heartbeat", "alerts"],
    },
    "retention": {
        "command": ["python", "-m", "bot.serve", "--only", "retention"],
        "exec": ["python", "-m", "bot.health", "heartbeat", "retention"],
    },
}
# The processes of the default deployment.
DEFAULT_PROCESSES = set(SERVICES) - {"actions"}
ONE_SHOT_COMMANDS = (["python", "-m", "bot.manage", "migrate"], ["python", "-m", "bot.manage", "retention"])
# The only paths of Rasa that may be reachable from outside.
RASA_PUBLIC_PREFIXES = ("/webhooks/telegram", "/webhooks/whatsapp")
# Services whose port the TLS proxy on the compose host forwards to.
PROXY_FACING = {"rasa", "console"}

SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|KEY")
SECRET_URLS = {"DATABASE_URL", "TRACKER_STORE_URL", "REDIS_URL"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"}
LONG_RUNNING_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
# ACTIONS_IN_PROCESS values that take the actions out of Rasa (bot/settings.py).
FALSE_WORDS = ("false", "0", "no", "off")
# `make bench` (2 vCPU shared VM, 2 replicas, 20 REST users): resident memory of one Rasa process
# with the actions inside it. Requests must cover it with room (docs/deploy.md, "Scaling").
RASA_RESIDENT_BYTES = 1.6e9
REQUEST_ROOM = 1.1


# ---------------------------------------------------------------------------------------------
# Loading


def load_all(path: Path) -> List[Dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def k8s_files() -> List[Path]:
    return sorted(path for path in K8S.iterdir() if path.suffix in (".yaml", ".yml"))


def k8s_resources(include_example: bool = False) -> List[Tuple[str, Dict[str, Any]]]:
    """(file name, object) for every object in deploy/k8s except the kustomization."""
    found = []
    for path in k8s_files():
        if path.name == "kustomization.yaml" or (path.name == SECRET_EXAMPLE and not include_example):
            continue
        found.extend((path.name, doc) for doc in load_all(path))
    return found


def compose() -> Dict[str, Any]:
    return load_all(COMPOSE)[0]


def is_secret_name(name: str) -> bool:
    """A setting that must never be written into a manifest; NAME_FILE holds only a path."""
    if name.endswith("_FILE"):
        return False
    return bool(SECRET_NAME.search(name)) or name in SECRET_URLS


# ---------------------------------------------------------------------------------------------
# Kubernetes checkers


def pod_spec(obj: Dict[str, Any]) -> Dict[str, Any]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def containers(obj: Dict[str, Any]) -> List[Dict[str, Any]]:
    spec = pod_spec(obj)
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


def argv(container: Dict[str, Any]) -> List[str]:
    return [str(part) for part in (container.get("command") or []) + (container.get("args") or [])]


def service_of(command: List[str]) -> Optional[str]:
    """The process a container runs: the value after --only (bot.serve)."""
    if "--only" in command and command.index("--only") + 1 < len(command):
        return command[command.index("--only") + 1]
    return None


def _named(obj: Dict[str, Any], container: Dict[str, Any]) -> str:
    return f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')} container {container.get('name')}"


def resource_problems(obj: Dict[str, Any], need_requests: bool) -> List[str]:
    problems = []
    for container in containers(obj):
        resources = container.get("resources") or {}
        wanted = [("limits", "cpu"), ("limits", "memory")]
        if need_requests:
            wanted += [("requests", "cpu"), ("requests", "memory")]
        for section, kind in wanted:
            if not (resources.get(section) or {}).get(kind):
                problems.append(f"{_named(obj, container)}: no {kind} {section}")
    return problems


def resolve_port(container: Dict[str, Any], port: Any) -> Any:
    for declared in container.get("ports") or []:
        if declared.get("name") == port:
            return declared.get("containerPort")
    return port


def probe_problems(obj: Dict[str, Any], container: Dict[str, Any]) -> List[str]:
    """Every probe of a container asks the health endpoint of the table for its process."""
    name = _named(obj, container)
    service = service_of(argv(container))
    if service not in SERVICES:
        return [f"{name}: runs {argv(container)}, not one of {sorted(SERVICES)}"]
    expected = SERVICES[service]
    problems = []
    if argv(container) != expected["command"]:
        problems.append(f"{name}: command {argv(container)} is not {expected['command']}")
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = container.get(kind)
        if probe is None:
            continue
        if "exec" in expected:
            if (probe.get("exec") or {}).get("command") != expected["exec"]:
                problems.append(f"{name}: {kind} should run {expected['exec']}")
            continue
        http = probe.get("httpGet") or {}
        if http.get("path") != expected["path"] or resolve_port(container, http.get("port")) != expected["port"]:
            problems.append(
                f"{name}: {kind} should GET {expected['path']} on {expected['port']}, "
                f"not {http.get('path')} on {http.get('port')}"
            )
    return problems


def long_running_problems(obj: Dict[str, Any]) -> List[str]:
    """Deployments: readiness and liveness probes matching the table, cpu and memory requests
    and limits, a non-root security context."""
    problems = resource_problems(obj, need_requests=True)
    spec = pod_spec(obj)
    for container in spec.get("containers") or []:
        for kind in ("readinessProbe", "livenessProbe"):
            if not container.get(kind):
                problems.append(f"{_named(obj, container)}: no {kind}")
        problems.extend(probe_problems(obj, container))
    problems.extend(security_context_problems(obj))
    return problems


def batch_problems(obj: Dict[str, Any]) -> List[str]:
    """Jobs and CronJobs: limits on every container, a non-root security context, a known
    one-shot command; a CronJob never overlaps itself."""
    problems = resource_problems(obj, need_requests=False) + security_context_problems(obj)
    for container in containers(obj):
        if argv(container) not in [list(command) for command in ONE_SHOT_COMMANDS]:
            problems.append(f"{_named(obj, container)}: runs {argv(container)}, not a one-shot command")
    if obj.get("kind") == "CronJob" and (obj.get("spec") or {}).get("concurrencyPolicy") != "Forbid":
        problems.append(f"CronJob/{obj['metadata'].get('name')}: concurrencyPolicy must be Forbid")
    return problems


def security_context_problems(obj: Dict[str, Any]) -> List[str]:
    pod_non_root = (pod_spec(obj).get("securityContext") or {}).get("runAsNonRoot") is True
    problems = []
    for container in containers(obj):
        context = container.get("securityContext") or {}
        if not (pod_non_root or context.get("runAsNonRoot") is True) or context.get("runAsNonRoot") is False:
            problems.append(f"{_named(obj, container)}: not runAsNonRoot")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{_named(obj, container)}: allowPrivilegeEscalation must be false")
    return problems


def k8s_env_problems(obj: Dict[str, Any]) -> List[str]:
    """No secret-looking env entry with a literal value: only secretKeyRef (or a NAME_FILE path)."""
    problems = []
    for container in containers(obj):
        for entry in container.get("env") or []:
            name = str(entry.get("name", ""))
            if not is_secret_name(name):
                continue
            if "value" in entry or "secretKeyRef" not in (entry.get("valueFrom") or {}):
                problems.append(f"{_named(obj, container)}: {name} must come from a secretKeyRef")
    return problems


def configmap_problems(obj: Dict[str, Any]) -> List[str]:
    """A ConfigMap becomes environment (envFrom): it must hold no secret."""
    if obj.get("kind") != "ConfigMap":
        return []
    return [
        f"ConfigMap/{obj['metadata'].get('name')}: {key} is a secret, it belongs in the Secret"
        for key in (obj.get("data") or {})
        if is_secret_name(key)
    ]


def image_problems(image: Any) -> List[str]:
    """An explicit tag that is not latest, or a digest."""
    if not isinstance(image, str) or not image.strip():
        return [f"image {image!r} is not a name"]
    if "@sha256:" in image:
        return []
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return [f"image {image} has no tag"]
    tag = last.rsplit(":", 1)[1]
    if not tag or tag == "latest" or "$" in image:
        return [f"image {image} is not pinned"]
    return []


def ingress_problems(obj: Dict[str, Any]) -> List[str]:
    """Rasa gets the two webhook paths and nothing else; the action server gets nothing."""
    if obj.get("kind") != "Ingress":
        return []
    spec = obj.get("spec") or {}
    problems = []
    default = ((spec.get("defaultBackend") or {}).get("service") or {}).get("name")
    if default in ("rasa", "actions"):
        problems.append(f"Ingress default backend is {default}")
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    for key in annotations:
        if key.endswith(("/use-regex", "/rewrite-target", "/server-snippet", "/configuration-snippet")):
            problems.append(f"Ingress annotation {key} can route other paths than the ones listed")
    for rule in spec.get("rules") or []:
        for path in (rule.get("http") or {}).get("paths") or []:
            backend = ((path.get("backend") or {}).get("service") or {}).get("name")
            value = str(path.get("path", "/"))
            if backend == "actions":
                problems.append(f"Ingress routes {value} to the action server")
            if backend != "rasa":
                continue
            public = any(value == prefix or value.startswith(prefix + "/") for prefix in RASA_PUBLIC_PREFIXES)
            if not public or path.get("pathType") not in ("Exact", "Prefix"):
                problems.append(f"Ingress routes {value} ({path.get('pathType')}) to Rasa")
    if not spec.get("tls"):
        problems.append("Ingress has no TLS section")
    return problems


def service_problems(obj: Dict[str, Any]) -> List[str]:
    """Services stay inside the cluster: the Ingress is the one way in."""
    if obj.get("kind") != "Service":
        return []
    kind = (obj.get("spec") or {}).get("type", "ClusterIP")
    return [] if kind == "ClusterIP" else [f"Service/{obj['metadata'].get('name')} is {kind}, not ClusterIP"]


def kustomization_problems(kustomization: Dict[str, Any], files: Iterable[str]) -> List[str]:
    """Every manifest is listed, except the Secret template."""
    listed = set(kustomization.get("resources") or [])
    present = {name for name in files if name not in ("kustomization.yaml", SECRET_EXAMPLE)}
    problems = [f"kustomization.yaml does not list {name}" for name in sorted(present - listed)]
    problems += [
        f"kustomization.yaml lists {name}, which is not there" for name in sorted(listed - present - {SECRET_EXAMPLE})
    ]
    if SECRET_EXAMPLE in listed:
        problems.append(f"kustomization.yaml applies the template {SECRET_EXAMPLE}")
    for generator in kustomization.get("secretGenerator") or []:
        if generator.get("literals"):
            problems.append("kustomization.yaml writes secret literals")
    for image in kustomization.get("images") or []:
        if not image.get("digest") and image.get("newTag") in (None, "", "latest"):
            problems.append(f"kustomization.yaml image {image.get('name')} is not pinned")
    return problems


def k8s_action_server_problems(resources: Iterable[Tuple[str, Dict[str, Any]]]) -> List[str]:
    """The default manifests run the actions inside Rasa: no action server workload, and no
    Service, PodDisruptionBudget, NetworkPolicy or Ingress path for one."""
    problems = []
    for file_name, obj in resources:
        kind, name = obj.get("kind"), (obj.get("metadata") or {}).get("name")
        spec = obj.get("spec") or {}
        if name == "actions":
            problems.append(f"{file_name}: {kind}/{name} belongs to a separate action server")
        if kind in WORKLOAD_KINDS:
            for container in containers(obj):
                if service_of(argv(container)) == "actions":
                    problems.append(f"{file_name}: {_named(obj, container)} runs the action server")
        selectors = {
            "Service": spec.get("selector"),
            "PodDisruptionBudget": (spec.get("selector") or {}).get("matchLabels"),
            "NetworkPolicy": (spec.get("podSelector") or {}).get("matchLabels"),
        }
        if ((selectors.get(kind) or {}).get("app.kubernetes.io/name")) == "actions":
            problems.append(f"{file_name}: {kind}/{name} selects action server pods")
        if kind == "NetworkPolicy":
            for rule in spec.get("egress") or []:
                for peer in rule.get("to") or []:
                    if ((peer.get("podSelector") or {}).get("matchLabels") or {}).get(
                        "app.kubernetes.io/name"
                    ) == "actions":
                        problems.append(f"{file_name}: NetworkPolicy/{name} lets traffic out to an action server")
        if kind == "Ingress":
            problems += [f"{file_name}: {problem}" for problem in ingress_problems(obj) if "action server" in problem]
    return problems


def in_process_problems(environment: Dict[str, Any], where: str) -> List[str]:
    """Rasa runs the actions itself: no ACTION_SERVER_URL (it would send them to that server) and
    no ACTIONS_IN_PROCESS=false (bot/settings.py, Settings.actions_in_process)."""
    problems = []
    url = environment.get("ACTION_SERVER_URL")
    if url not in (None, ""):
        problems.append(f"{where}: ACTION_SERVER_URL={url} sends the actions to a separate action server")
    flag = str(environment.get("ACTIONS_IN_PROCESS", "")).strip().lower()
    if flag in FALSE_WORDS:
        problems.append(f"{where}: ACTIONS_IN_PROCESS={flag} takes the actions out of Rasa")
    return problems


def k8s_environment(
    obj: Dict[str, Any], container: Dict[str, Any], sources: Dict[Tuple[str, str], Dict[str, Any]]
) -> Dict[str, Any]:
    """What a container's environment holds: its envFrom ConfigMaps and Secrets (from
    ``sources``, by (kind, name)), then its env entries (a valueFrom counts as set)."""
    environment: Dict[str, Any] = {}
    for source in container.get("envFrom") or []:
        for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            if key in source:
                environment.update(sources.get((kind, source[key].get("name")), {}))
    for entry in container.get("env") or []:
        environment[str(entry.get("name"))] = entry["value"] if "value" in entry else "<valueFrom>"
    return environment


def env_sources(resources: Iterable[Tuple[str, Dict[str, Any]]]) -> Dict[Tuple[str, str], Dict[str, Any]]:
    found = {}
    for _, obj in resources:
        if obj.get("kind") in ("ConfigMap", "Secret"):
            values = {**(obj.get("data") or {}), **(obj.get("stringData") or {})}
            found[(obj["kind"], obj["metadata"]["name"])] = values
    return found


def memory_bytes(quantity: Any, binary_single_letters: bool = False) -> float:
    """A Kubernetes (Mi, M, Gi, G) or Compose (M, G: binary, as Docker reads them) quantity."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", str(quantity))
    assert match, quantity
    number, unit = float(match.group(1)), match.group(2)
    units = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9}
    if binary_single_letters:
        units.update(
            {
                "k": 2**10,
                "K": 2**10,
                "m": 2**20,
                "M": 2**20,
                "g": 2**30,
                "G": 2**30,
                "b": 1,
                "kb": 2**10,
                "mb": 2**20,
                "gb": 2**30,
            }
        )
    return number * units[unit if unit in units else unit.lower()]


# ---------------------------------------------------------------------------------------------
# Compose checkers


def compose_command(service: Dict[str, Any]) -> List[str]:
    command = service.get("command") or []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def compose_healthcheck_problems(name: str, service: Dict[str, Any]) -> List[str]:
    """The healthcheck asks the table's endpoint for the service's process."""
    process = service_of(compose_command(service))
    if process not in SERVICES:
        return []
    expected = SERVICES[process]
    test = (service.get("healthcheck") or {}).get("test") or []
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    if "exec" in expected:
        return [] if test == ["CMD", *expected["exec"]] else [f"{name}: healthcheck should run {expected['exec']}"]
    urls = re.findall(r"http://(?:127\.0\.0\.1|localhost):(\d+)(/[^'\"\s)]*)", " ".join(map(str, test)))
    if urls != [(str(expected["port"]), expected["path"])]:
        return [f"{name}: healthcheck should GET {expected['path']} on {expected['port']}, not {urls}"]
    return []


def compose_service_problems(name: str, service: Dict[str, Any]) -> List[str]:
    """A healthcheck unless one-shot, a memory limit, a pinned image, ports on loopback only."""
    problems = []
    # `restart: no` unquoted is YAML's false.
    one_shot = service.get("restart") in ("no", False) or compose_command(service) in [
        list(c) for c in ONE_SHOT_COMMANDS
    ]
    healthcheck = service.get("healthcheck") or {}
    if not one_shot and (not healthcheck.get("test") or healthcheck.get("disable")):
        problems.append(f"{name}: no healthcheck")
    problems += compose_healthcheck_problems(name, service)
    limits = ((service.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    if not (limits.get("memory") or service.get("mem_limit")):
        problems.append(f"{name}: no memory limit")
    problems += [f"{name}: {problem}" for problem in image_problems(service.get("image"))]
    for port in service.get("ports") or []:
        text = str(port if not isinstance(port, dict) else f"{port.get('host_ip', '')}:{port.get('published')}:")
        if not text.startswith("127.0.0.1:"):
            problems.append(f"{name}: port {port} is published beyond loopback")
        if service_of(compose_command(service)) not in PROXY_FACING:
            problems.append(f"{name}: publishes {port} but the proxy does not forward to it")
    return problems


def compose_env_problems(name: str, service: Dict[str, Any]) -> List[str]:
    """Secret-looking settings come from env_file, secrets or NAME_FILE, never `environment:`."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        pairs = [entry.split("=", 1) for entry in map(str, environment)]
        environment = {pair[0]: (pair[1] if len(pair) > 1 else None) for pair in pairs}
    return [
        f"{name}: {key} has a literal value in environment:"
        for key, value in environment.items()
        if is_secret_name(str(key)) and value not in (None, "")
    ]


def app_services(document: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {
        name: service
        for name, service in document["services"].items()
        if str(service.get("image", "")).startswith("ghcr.io/example/pandu:")
    }


def compose_action_server_problems(document: Dict[str, Any]) -> List[str]:
    """The default stack runs the actions inside Rasa: no service is (or runs) the action server."""
    return [
        f"{name}: a separate action server in the default stack"
        for name, service in (document.get("services") or {}).items()
        if name == "actions" or service_of(compose_command(service)) == "actions"
    ]


def compose_environment(service: Dict[str, Any], env_files: Dict[str, Dict[str, str]]) -> Dict[str, Any]:
    """A service's environment as Compose builds it: its env_file(s), then `environment:` (which wins)."""
    environment: Dict[str, Any] = {}
    files = service.get("env_file") or []
    for name in [files] if isinstance(files, str) else files:
        environment.update(env_files.get(name, {}))
    values = service.get("environment") or {}
    if isinstance(values, list):
        values = dict(entry.split("=", 1) if "=" in entry else (entry, None) for entry in map(str, values))
    environment.update(values)
    return environment


# ---------------------------------------------------------------------------------------------
# Dockerfile and example checkers


def dockerfile_instructions(text: str) -> List[Tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped (as Docker does)."""
    logical, parts = [], []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            parts.append(stripped[:-1].strip())
            continue
        entry = " ".join(part for part in parts + [stripped] if part)
        parts = []
        if entry:
            logical.append(entry)
    if parts:
        logical.append(" ".join(parts))
    return [(entry.split(None, 1)[0].upper(), entry.split(None, 1)[1] if " " in entry else "") for entry in logical]


def dockerfile_problems(text: str) -> List[str]:
    """Pinned FROM lines (a tag that is not latest, a digest, or an earlier stage), a final
    non-root USER, no secret in ENV or ARG."""
    problems: List[str] = []
    stage_users: Dict[str, Optional[str]] = {}
    user: Optional[str] = None
    stage: Optional[str] = None
    for instruction, arguments in dockerfile_instructions(text):
        if instruction == "FROM":
            if stage:
                stage_users[stage] = user
            words = [word for word in arguments.split() if not word.startswith("--")]
            image = words[0].lower() if words else ""
            if image in stage_users:
                user = stage_users[image]  # a stage built on an earlier one keeps its USER
            else:
                problems += [f"FROM {problem}" for problem in image_problems(words[0] if words else "")]
                user = None  # an outside image: assume it runs as root
            stage = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        elif instruction == "USER":
            user = arguments.split(":")[0].strip()
        elif instruction in ("ENV", "ARG"):
            for name in re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=", arguments) or arguments.split()[:1]:
                if is_secret_name(name):
                    problems.append(f"{instruction} {name}: no secret in the image")
    if not user:
        problems.append("the final stage has no USER: it would run as root")
    elif user in ("root", "0"):
        problems.append(f"USER {user} is root")
    return problems


def env_example_problems(values: Dict[str, str]) -> List[str]:
    """An example file holds no real secret: empty, CHANGE-ME, or a URL without a real password."""
    problems = []
    for name, value in values.items():
        if not is_secret_name(name) or not value or "CHANGE-ME" in value:
            continue
        if name in SECRET_URLS and "://" in value and urlsplit(value).password in (None, "CHANGE-ME"):
            continue
        problems.append(f"{name} carries a value in an example file")
    return problems


def parse_env_file(path: Path) -> Dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def workloads() -> Iterator[Tuple[str, Dict[str, Any]]]:
    for file_name, obj in k8s_resources():
        if obj.get("kind") in WORKLOAD_KINDS:
            yield file_name, obj


# ---------------------------------------------------------------------------------------------
# The real files


def test_every_k8s_file_parses_and_has_kind_and_name():
    for path in k8s_files():
        for doc in load_all(path):
            assert doc.get("kind") and doc.get("apiVersion"), path.name
            if path.name != "kustomization.yaml":
                assert (doc.get("metadata") or {}).get("name"), path.name


def test_the_expected_workloads_exist():
    found = {(obj["kind"], obj["metadata"]["name"]): obj for _, obj in k8s_resources()}
    for name, replicas in (("rasa", 2), ("console", 2), ("notifier", 2)):
        assert found[("Deployment", name)]["spec"]["replicas"] == replicas, name
    for name in ("rasa", "console"):
        assert ("Service", name) in found, name
    deployments = {name for kind, name in found if kind == "Deployment"}
    assert deployments == {"rasa", "console", "notifier"}, deployments
    processes = {
        service_of(argv(container))
        for _, obj in workloads()
        for container in containers(obj)
        if obj["kind"] in LONG_RUNNING_KINDS
    }
    assert processes == DEFAULT_PROCESSES - {"retention"}, processes  # retention: the CronJob
    assert ("Job", "migrate") in found and ("CronJob", "retention") in found
    assert ("Namespace", "pandu") in found and ("Ingress", "pandu") in found


def test_deployments_have_probes_resources_and_run_as_non_root():
    deployments = [obj for _, obj in workloads() if obj["kind"] in LONG_RUNNING_KINDS]
    assert deployments
    problems = [problem for obj in deployments for problem in long_running_problems(obj)]
    assert not problems, problems


def test_workloads_have_a_read_only_root_and_a_fresh_var_dir():
    for _, obj in workloads():
        volumes = {volume["name"]: volume for volume in pod_spec(obj).get("volumes") or []}
        for container in containers(obj):
            assert (container.get("securityContext") or {}).get("readOnlyRootFilesystem") is True, _named(
                obj, container
            )
            mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts") or []}
            for path in ("/app/var", "/tmp"):
                assert "emptyDir" in volumes[mounts[path]], (_named(obj, container), path)


def test_jobs_and_cronjobs_have_limits():
    batch = [obj for _, obj in workloads() if obj["kind"] in ("Job", "CronJob")]
    assert {obj["kind"] for obj in batch} == {"Job", "CronJob"}
    problems = [problem for obj in batch for problem in batch_problems(obj)]
    assert not problems, problems


def test_no_secret_is_written_into_a_k8s_manifest():
    problems = []
    for file_name, obj in k8s_resources():
        problems += k8s_env_problems(obj) + configmap_problems(obj)
        if obj.get("kind") == "Secret":
            problems.append(f"{file_name}: a Secret with values is applied with the manifests")
    assert not problems, problems


def test_the_secret_template_holds_only_placeholders():
    (secret,) = load_all(K8S / SECRET_EXAMPLE)
    assert secret["kind"] == "Secret" and secret["metadata"]["name"] == "pandu-secrets"
    values = {**(secret.get("stringData") or {}), **(secret.get("data") or {})}
    assert {"DATABASE_URL", "TRACKER_STORE_URL", "REDIS_URL", "ACTION_SERVER_TOKEN"} <= set(values)
    assert not env_example_problems(values)
    assert all(not value or "CHANGE-ME" in value for value in values.values())


def test_every_image_is_pinned():
    images = [container.get("image") for _, obj in workloads() for container in containers(obj)]
    images += [service.get("image") for service in compose()["services"].values()]
    assert images and all(image is not None for image in images)
    problems = [problem for image in images for problem in image_problems(image)]
    assert not problems, problems


def test_the_ingress_exposes_only_the_webhooks_of_rasa():
    ingresses = [obj for _, obj in k8s_resources() if obj["kind"] == "Ingress"]
    assert ingresses
    for ingress in ingresses:
        assert ingress["spec"]["ingressClassName"] == "nginx"
        assert ingress["spec"]["tls"][0]["secretName"]
        assert not ingress_problems(ingress), ingress_problems(ingress)
    routed = {
        (path["backend"]["service"]["name"], path["path"])
        for ingress in ingresses
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert {name for name, _ in routed} == {"rasa", "console"}
    assert ("console", "/") in routed


def test_services_are_cluster_internal():
    problems = [problem for _, obj in k8s_resources() for problem in service_problems(obj)]
    assert not problems, problems


def test_the_kustomization_lists_every_manifest_but_the_secret_template():
    (kustomization,) = load_all(K8S / "kustomization.yaml")
    assert kustomization_problems(kustomization, [path.name for path in k8s_files()]) == []
    assert kustomization.get("namespace") == "pandu"


def test_the_configmap_makes_servers_reachable_and_production_strict():
    (config,) = [obj for _, obj in k8s_resources() if obj["kind"] == "ConfigMap"]
    data = config["data"]
    assert data["BIND_HOST"] == "0.0.0.0" and data["APP_ENV"] == "production"
    assert data["REST_CHANNEL"] == "off" and data["TRUSTED_PROXY_HOPS"] == "1"
    assert not in_process_problems(data, "ConfigMap"), in_process_problems(data, "ConfigMap")
    assert "RASA_REPLICAS" not in data


def test_the_default_deployment_runs_the_actions_inside_rasa():
    """No separate action server in the default manifests, and nothing in Rasa's environment that
    would send the actions to one (ACTION_SERVER_URL) or take them out of Rasa (ACTIONS_IN_PROCESS)."""
    resources = k8s_resources()
    problems = k8s_action_server_problems(resources)
    assert not (K8S / "actions.yaml").exists()
    sources = env_sources(k8s_resources(include_example=True))
    rasa = [
        (obj, container)
        for _, obj in workloads()
        for container in containers(obj)
        if service_of(argv(container)) == "rasa"
    ]
    assert rasa
    for obj, container in rasa:
        problems += in_process_problems(k8s_environment(obj, container, sources), _named(obj, container))

    document = compose()
    problems += compose_action_server_problems(document)
    # deploy/env/app.env is not committed: its template stands in for it.
    env_files = {"env/app.env": parse_env_file(APP_ENV_EXAMPLE)}
    rasa_services = {
        name: service
        for name, service in app_services(document).items()
        if service_of(compose_command(service)) == "rasa"
    }
    assert len(rasa_services) >= 2
    for name, service in rasa_services.items():
        problems += in_process_problems(compose_environment(service, env_files), name)
    # `make run` on a host (deploy/production.env.example) keeps the same default.
    problems += in_process_problems(parse_env_file(PRODUCTION_ENV_EXAMPLE), PRODUCTION_ENV_EXAMPLE.name)
    assert not problems, problems


def _filled_in(values: Dict[str, Any]) -> Dict[str, str]:
    """An example's values with every CHANGE-ME replaced as an operator would (random, 43 characters)."""
    filled = {}
    for name, value in values.items():
        value = "" if value is None else str(value)
        if "CHANGE-ME" in value:
            value = (
                value.replace("CHANGE-ME", secrets.token_hex(16)) if name in SECRET_URLS else secrets.token_urlsafe(32)
            )
        filled[name] = value
    return filled


def _start_problems(environment: Dict[str, str]) -> List[str]:
    """The start-up check of a Rasa server with actions in process (bot/serve.py run_single)."""
    from bot.settings import Settings
    from bot.startup import start_problems

    with mock.patch.dict(os.environ, environment, clear=True):
        settings = Settings()
        assert settings.actions_in_process
        return start_problems(settings, needs=("RASA_API_TOKEN",))


def test_the_settings_and_secrets_of_the_manifests_pass_rasas_start_up_check():
    """The default deployment's settings plus its secrets, filled in, start Rasa; without
    ACTION_SERVER_TOKEN they do not (the production check and the tracker store's sealing key still
    need it with the actions in process), which is why the manifests keep that secret."""
    sources = env_sources(k8s_resources(include_example=True))
    k8s = _filled_in({**sources[("ConfigMap", "pandu-config")], **sources[("Secret", "pandu-secrets")]})
    assert _start_problems(k8s) == []
    assert any(
        "ACTION_SERVER_TOKEN" in problem
        for problem in _start_problems({k: v for k, v in k8s.items() if k != "ACTION_SERVER_TOKEN"})
    )

    document = compose()
    (rasa, *_) = [
        service for service in app_services(document).values() if service_of(compose_command(service)) == "rasa"
    ]
    environment = compose_environment(rasa, {"env/app.env": parse_env_file(APP_ENV_EXAMPLE)})
    # The NAME_FILE secrets, as the mounted files would give them.
    environment = {
        (name[: -len("_FILE")] if name.endswith("_FILE") else name): ("CHANGE-ME" if name.endswith("_FILE") else value)
        for name, value in environment.items()
    }
    assert _start_problems(_filled_in(environment)) == []


def test_rasas_memory_is_sized_from_the_bench():
    """Requests (Compose: reservations) cover the measured resident memory of a Rasa process with
    room; limits are above the requests."""
    for _, obj in workloads():
        for container in containers(obj):
            if service_of(argv(container)) != "rasa":
                continue
            resources = container["resources"]
            request, limit = memory_bytes(resources["requests"]["memory"]), memory_bytes(resources["limits"]["memory"])
            assert request >= REQUEST_ROOM * RASA_RESIDENT_BYTES and limit > request, _named(obj, container)
    for name, service in app_services(compose()).items():
        if service_of(compose_command(service)) != "rasa":
            continue
        resources = service["deploy"]["resources"]
        reserved = memory_bytes(resources["reservations"]["memory"], binary_single_letters=True)
        limit = memory_bytes(resources["limits"]["memory"], binary_single_letters=True)
        assert reserved >= REQUEST_ROOM * RASA_RESIDENT_BYTES and limit > reserved, name


def test_compose_services_have_healthchecks_limits_and_loopback_ports():
    document = compose()
    problems = [
        problem for name, service in document["services"].items() for problem in compose_service_problems(name, service)
    ]
    assert not problems, problems
    apps = app_services(document)
    processes = {service_of(compose_command(service)) for service in apps.values()}
    assert processes - {None} == DEFAULT_PROCESSES, processes
    assert sum(1 for service in apps.values() if service_of(compose_command(service)) == "rasa") >= 2 or any(
        ((service.get("deploy") or {}).get("replicas") or 1) >= 2
        for service in apps.values()
        if service_of(compose_command(service)) == "rasa"
    )
    assert compose_command(document["services"]["migrate"]) == ["python", "-m", "bot.manage", "migrate"]


def test_compose_app_services_wait_for_the_migration_and_healthy_stores():
    document = compose()
    assert document["services"]["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in app_services(document).items():
        if name == "migrate":
            continue
        conditions = {dep: spec.get("condition") for dep, spec in service["depends_on"].items()}
        assert conditions == {
            "migrate": "service_completed_successfully",
            "postgres": "service_healthy",
            "redis": "service_healthy",
        }, name


def test_compose_secrets_come_from_files_and_env_files():
    document = compose()
    problems = [
        problem for name, service in document["services"].items() for problem in compose_env_problems(name, service)
    ]
    assert not problems, problems
    for name, service in app_services(document).items():
        assert service["env_file"] == ["env/app.env"], name
        environment = service["environment"]
        assert environment["BIND_HOST"] == "0.0.0.0" and environment["APP_ENV"] == "production", name
        for variable, path in environment.items():
            if variable.endswith("_FILE"):
                assert path.startswith("/run/secrets/") and path.rsplit("/", 1)[1] in service["secrets"], variable
    for secret in document["secrets"].values():
        assert secret["file"].startswith("./env/secrets/")
    assert set(document["volumes"]) and all("postgres" in name or "redis" in name for name in document["volumes"])


def test_the_app_env_example_holds_no_secret():
    values = parse_env_file(APP_ENV_EXAMPLE)
    assert {"DATABASE_URL", "TRACKER_STORE_URL", "REDIS_URL"} <= set(values)
    assert not env_example_problems(values), env_example_problems(values)
    # The internal tokens come from files: a plain NAME here would override NAME_FILE.
    assert not {"RASA_API_TOKEN", "ACTION_SERVER_TOKEN", "CONSOLE_SECRET_KEY", "REPORT_PIN_KEY"} & set(values)


def test_the_dockerfile_is_pinned_and_runs_as_non_root():
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert dockerfile_problems(text) == []
    instructions = dockerfile_instructions(text)
    assert instructions[0] == ("FROM", "python:3.10.15-slim-bookworm AS base")
    runs = " ".join(arguments for instruction, arguments in instructions if instruction == "RUN")
    assert "pip install pip==24.2" in runs and "-r requirements.txt" in runs
    assert (
        "rasa train --config config.yml --domain domain.yml --data nlu stories --out models "
        "--fixed-model-name guidance" in re.sub(r"\s+", " ", runs)
    )
    env = " ".join(arguments for instruction, arguments in instructions if instruction == "ENV")
    assert "RASA_TELEMETRY_ENABLED=false" in env and "PYTHONUNBUFFERED=1" in env


def test_the_dockerignore_keeps_local_state_and_held_out_data_out():
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "var", "reports", "models", ".git", "tests/eval", "deploy/env"} <= patterns


# ---------------------------------------------------------------------------------------------
# Each checker catches what it is meant to catch


def _deployment(**container_overrides: Any) -> Dict[str, Any]:
    container = {
        "name": "actions",
        "image": "ghcr.io/example/pandu:1.0.0",
        "command": ["python", "-m", "bot.serve", "--only", "actions"],
        "ports": [{"name": "http", "containerPort": 5055}],
        "readinessProbe": {"httpGet": {"path": "/health", "port": "http"}},
        "livenessProbe": {"httpGet": {"path": "/health", "port": 5055}},
        "resources": {"requests": {"cpu": "250m", "memory": "384Mi"}, "limits": {"cpu": "1", "memory": "768Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False},
    }
    container.update(container_overrides)
    container = {key: value for key, value in container.items() if value is not None}
    return {
        "kind": "Deployment",
        "metadata": {"name": "actions"},
        "spec": {"template": {"spec": {"securityContext": {"runAsNonRoot": True}, "containers": [container]}}},
    }


def test_a_good_deployment_passes_the_checker():
    assert long_running_problems(_deployment()) == []


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"readinessProbe": None}, "no readinessProbe"),
        ({"livenessProbe": None}, "no livenessProbe"),
        ({"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}, "no cpu requests"),
        ({"resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1"}}}, "no memory limits"),
        ({"livenessProbe": {"httpGet": {"path": "/healthz", "port": 5055}}}, "livenessProbe should GET /health"),
        (
            {"readinessProbe": {"httpGet": {"path": "/health", "port": 8080}}},
            "readinessProbe should GET /health on 5055",
        ),
        ({"command": ["python", "-m", "bot.serve", "--only", "nothing"]}, "not one of"),
        ({"securityContext": {"runAsNonRoot": False, "allowPrivilegeEscalation": False}}, "not runAsNonRoot"),
    ],
)
def test_a_broken_deployment_is_caught(overrides, expected):
    problems = long_running_problems(_deployment(**overrides))
    assert any(expected in problem for problem in problems), problems


def test_an_exec_probe_must_run_the_heartbeat_check():
    broken = _deployment(
        command=["python", "-m", "bot.serve", "--only", "alerts"],
        ports=None,
        readinessProbe={"exec": {"command": ["true"]}},
        livenessProbe={"exec": {"command": ["python", "-m", "bot.health", "heartbeat", "alerts"]}},
    )
    problems = long_running_problems(broken)
    assert problems == [f"Deployment/actions container actions: readinessProbe should run {SERVICES['alerts']['exec']}"]


def test_a_job_without_limits_or_a_cronjob_that_overlaps_is_caught():
    container = {
        "name": "migrate",
        "image": "ghcr.io/example/pandu:1.0.0",
        "command": ["python", "-m", "bot.manage", "migrate"],
        "securityContext": {"allowPrivilegeEscalation": False},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
    }
    pod = {"securityContext": {"runAsNonRoot": True}, "containers": [container]}
    job = {"kind": "Job", "metadata": {"name": "migrate"}, "spec": {"template": {"spec": pod}}}
    assert {"Job/migrate container migrate: no cpu limits", "Job/migrate container migrate: no memory limits"} <= set(
        batch_problems(job)
    )
    cron = {
        "kind": "CronJob",
        "metadata": {"name": "retention"},
        "spec": {"concurrencyPolicy": "Allow", "jobTemplate": {"spec": {"template": {"spec": pod}}}},
    }
    assert "CronJob/retention: concurrencyPolicy must be Forbid" in batch_problems(cron)


def test_a_literal_secret_in_env_is_caught():
    broken = _deployment(
        env=[
            {"name": "ACTION_SERVER_TOKEN", "value": "s3cr3t"},
            {"name": "DATABASE_URL", "valueFrom": {"configMapKeyRef": {"name": "pandu-config", "key": "DATABASE_URL"}}},
            {"name": "REDIS_URL", "valueFrom": {"secretKeyRef": {"name": "pandu-secrets", "key": "REDIS_URL"}}},
            {"name": "CONSOLE_SECRET_KEY_FILE", "value": "/run/secrets/console_secret_key"},
            {"name": "LOG_LEVEL", "value": "INFO"},
        ]
    )
    assert k8s_env_problems(broken) == [
        "Deployment/actions container actions: ACTION_SERVER_TOKEN must come from a secretKeyRef",
        "Deployment/actions container actions: DATABASE_URL must come from a secretKeyRef",
    ]
    config = {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"APP_ENV": "production", "RASA_API_TOKEN": "x"}}
    assert configmap_problems(config) == ["ConfigMap/c: RASA_API_TOKEN is a secret, it belongs in the Secret"]


@pytest.mark.parametrize(
    "image, pinned",
    [
        ("ghcr.io/example/pandu:1.0.0", True),
        ("postgres:15.8-bookworm", True),
        ("localhost:5000/pandu:1.0.0", True),
        ("ghcr.io/example/pandu@sha256:" + "0" * 64, True),
        ("ghcr.io/example/pandu", False),
        ("localhost:5000/pandu", False),
        ("ghcr.io/example/pandu:latest", False),
        ("ghcr.io/example/pandu:${TAG}", False),
        (None, False),
    ],
)
def test_image_pinning_is_checked(image, pinned):
    assert (image_problems(image) == []) is pinned


def _ingress(*paths: Tuple[str, str, str]) -> Dict[str, Any]:
    return {
        "kind": "Ingress",
        "metadata": {"name": "i"},
        "spec": {
            "tls": [{"hosts": ["bot.example.org"], "secretName": "tls"}],
            "rules": [
                {
                    "host": "bot.example.org",
                    "http": {
                        "paths": [
                            {
                                "path": path,
                                "pathType": kind,
                                "backend": {"service": {"name": name, "port": {"number": 1}}},
                            }
                            for name, path, kind in paths
                        ]
                    },
                }
            ],
        },
    }


@pytest.mark.parametrize(
    "paths",
    [
        [("rasa", "/", "Prefix")],
        [("rasa", "/webhooks", "Prefix")],
        [("rasa", "/webhooks/rest/webhook", "Exact")],
        [("rasa", "/conversations", "Prefix")],
        [("rasa", "/model/parse", "Exact")],
        [("rasa", "/webhooks/telegramx", "Prefix")],
        [("rasa", "/webhooks/telegram/.*", "ImplementationSpecific")],
        [("actions", "/webhook", "Exact")],
    ],
)
def test_an_ingress_that_exposes_more_of_rasa_is_caught(paths):
    good = [("rasa", "/webhooks/telegram/webhook", "Exact"), ("console", "/", "Prefix")]
    assert ingress_problems(_ingress(*good)) == []
    assert ingress_problems(_ingress(*good, *paths))


def test_an_ingress_with_a_rasa_default_backend_or_no_tls_is_caught():
    ingress = _ingress(("console", "/", "Prefix"))
    ingress["spec"]["defaultBackend"] = {"service": {"name": "rasa", "port": {"number": 5005}}}
    del ingress["spec"]["tls"]
    assert ingress_problems(ingress) == ["Ingress default backend is rasa", "Ingress has no TLS section"]


def test_a_service_outside_the_cluster_is_caught():
    assert service_problems({"kind": "Service", "metadata": {"name": "rasa"}, "spec": {"type": "LoadBalancer"}})


def test_a_kustomization_that_misses_a_file_or_applies_the_template_is_caught():
    files = ["kustomization.yaml", "rasa.yaml", "console.yaml", SECRET_EXAMPLE]
    assert kustomization_problems({"resources": ["rasa.yaml", "console.yaml"]}, files) == []
    assert kustomization_problems({"resources": ["rasa.yaml"]}, files) == [
        "kustomization.yaml does not list console.yaml"
    ]
    assert kustomization_problems({"resources": ["rasa.yaml", "console.yaml", SECRET_EXAMPLE]}, files) == [
        f"kustomization.yaml applies the template {SECRET_EXAMPLE}"
    ]
    assert kustomization_problems(
        {"resources": ["rasa.yaml", "console.yaml"], "images": [{"name": "ghcr.io/example/pandu", "newTag": "latest"}]},
        files,
    )


def _rasa_deployment(**container_overrides: Any) -> Dict[str, Any]:
    deployment = _deployment(
        name="rasa",
        command=["python", "-m", "bot.serve", "--only", "rasa"],
        envFrom=[{"configMapRef": {"name": "pandu-config"}}],
        **container_overrides,
    )
    deployment["metadata"]["name"] = "rasa"
    return deployment


def test_a_separate_action_server_in_the_k8s_manifests_is_caught():
    rasa_service = {
        "kind": "Service",
        "metadata": {"name": "rasa"},
        "spec": {"selector": {"app.kubernetes.io/name": "rasa"}},
    }
    assert k8s_action_server_problems([("rasa.yaml", _rasa_deployment()), ("rasa.yaml", rasa_service)]) == []
    broken = [
        ("actions.yaml", _deployment()),
        (
            "svc.yaml",
            {
                "kind": "Service",
                "metadata": {"name": "webhook"},
                "spec": {"selector": {"app.kubernetes.io/name": "actions"}},
            },
        ),
        (
            "pdb.yaml",
            {
                "kind": "PodDisruptionBudget",
                "metadata": {"name": "a"},
                "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "actions"}}},
            },
        ),
        (
            "networkpolicy.yaml",
            {
                "kind": "NetworkPolicy",
                "metadata": {"name": "actions-from-rasa"},
                "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "actions"}}},
            },
        ),
        ("ingress.yaml", _ingress(("actions", "/webhook", "Exact"))),
    ]
    problems = k8s_action_server_problems(broken)
    for expected in (
        "actions.yaml: Deployment/actions belongs to a separate action server",
        "actions.yaml: Deployment/actions container actions runs the action server",
        "svc.yaml: Service/webhook selects action server pods",
        "pdb.yaml: PodDisruptionBudget/a selects action server pods",
        "networkpolicy.yaml: NetworkPolicy/actions-from-rasa selects action server pods",
        "ingress.yaml: Ingress routes /webhook to the action server",
    ):
        assert expected in problems, problems


@pytest.mark.parametrize(
    "environment, expected",
    [
        ({"ACTION_SERVER_URL": "http://actions:5055/webhook"}, "ACTION_SERVER_URL"),
        ({"ACTIONS_IN_PROCESS": "false"}, "ACTIONS_IN_PROCESS=false"),
        ({"ACTIONS_IN_PROCESS": False}, "ACTIONS_IN_PROCESS=false"),  # YAML's unquoted false
        ({"ACTIONS_IN_PROCESS": " Off "}, "ACTIONS_IN_PROCESS=off"),
        ({"ACTIONS_IN_PROCESS": "0"}, "ACTIONS_IN_PROCESS=0"),
    ],
)
def test_a_rasa_environment_that_moves_the_actions_out_is_caught(environment, expected):
    assert in_process_problems({"ACTIONS_IN_PROCESS": "true", "ACTION_SERVER_URL": ""}, "rasa") == []
    assert in_process_problems({}, "rasa") == []
    problems = in_process_problems(environment, "rasa")
    assert any(expected in problem for problem in problems), problems


def test_rasas_k8s_environment_includes_envfrom_and_env_entries():
    sources = {("ConfigMap", "pandu-config"): {"ACTIONS_IN_PROCESS": "no"}}
    deployment = _rasa_deployment(
        env=[{"name": "ACTION_SERVER_URL", "valueFrom": {"configMapKeyRef": {"name": "other", "key": "url"}}}]
    )
    (container,) = containers(deployment)
    assert len(in_process_problems(k8s_environment(deployment, container, sources), "rasa")) == 2
    (clean,) = containers(_rasa_deployment())
    assert in_process_problems(k8s_environment(_rasa_deployment(), clean, {}), "rasa") == []


def test_a_separate_action_server_in_compose_is_caught():
    rasa = {
        "image": "ghcr.io/example/pandu:1.0.0",
        "command": ["python", "-m", "bot.serve", "--only", "rasa"],
        "env_file": ["env/app.env"],
        "environment": {"ACTIONS_IN_PROCESS": "true"},
    }
    assert compose_action_server_problems({"services": {"rasa-1": rasa}}) == []
    assert compose_action_server_problems({"services": {"rasa-1": rasa, "actions": {"image": "x:1"}}}) == [
        "actions: a separate action server in the default stack"
    ]
    worker = {"image": "ghcr.io/example/pandu:1.0.0", "command": "python -m bot.serve --only actions"}
    assert compose_action_server_problems({"services": {"worker": worker}}) == [
        "worker: a separate action server in the default stack"
    ]
    # app.env would set it, and `environment:` does not override it.
    env_files = {"env/app.env": {"ACTION_SERVER_URL": "http://actions:5055/webhook"}}
    assert in_process_problems(compose_environment(rasa, env_files), "rasa-1")
    # `environment:` wins over app.env.
    assert in_process_problems(
        compose_environment(
            {**rasa, "environment": ["ACTIONS_IN_PROCESS=false"]}, {"env/app.env": {"ACTIONS_IN_PROCESS": "true"}}
        ),
        "rasa-1",
    )


@pytest.mark.parametrize(
    "quantity, binary, expected",
    [
        ("1800Mi", False, 1800 * 2**20),
        ("2G", False, 2e9),
        ("1.5Gi", False, 1.5 * 2**30),
        ("1800M", True, 1800 * 2**20),
        ("2g", True, 2 * 2**30),
        ("512m", True, 512 * 2**20),
    ],
)
def test_memory_quantities_are_read_as_kubernetes_and_docker_read_them(quantity, binary, expected):
    assert memory_bytes(quantity, binary_single_letters=binary) == expected


@pytest.mark.parametrize(
    "service, expected",
    [
        (
            {
                "image": "ghcr.io/example/pandu:1.0.0",
                "command": ["python", "-m", "bot.serve", "--only", "console"],
                "deploy": {"resources": {"limits": {"memory": "512M"}}},
            },
            "no healthcheck",
        ),
        (
            {
                "image": "ghcr.io/example/pandu:1.0.0",
                "command": ["python", "-m", "bot.serve", "--only", "alerts"],
                "healthcheck": {"test": ["CMD", "python", "-m", "bot.health", "heartbeat", "alerts"]},
            },
            "no memory limit",
        ),
        (
            {
                "image": "ghcr.io/example/pandu:1.0.0",
                "command": ["python", "-m", "bot.serve", "--only", "console"],
                "healthcheck": {"test": ["CMD", "python", "-c", "urlopen('http://127.0.0.1:8080/health')"]},
                "mem_limit": "512m",
            },
            "healthcheck should GET /healthz on 8080",
        ),
        (
            {
                "image": "ghcr.io/example/pandu:1.0.0",
                "command": ["python", "-m", "bot.serve", "--only", "retention"],
                "healthcheck": {"test": ["CMD", "python", "-m", "bot.health", "heartbeat", "alerts"]},
                "mem_limit": "256m",
            },
            "healthcheck should run",
        ),
        ({"image": "redis", "healthcheck": {"test": ["CMD", "redis-cli", "ping"]}, "mem_limit": "256m"}, "has no tag"),
        (
            {
                "image": "ghcr.io/example/pandu:1.0.0",
                "command": ["python", "-m", "bot.serve", "--only", "console"],
                "healthcheck": {"test": ["CMD", "python", "-c", "urlopen('http://127.0.0.1:8080/healthz')"]},
                "mem_limit": "512m",
                "ports": ["8080:8080"],
            },
            "published beyond loopback",
        ),
        (
            {
                "image": "ghcr.io/example/pandu:1.0.0",
                "command": ["python", "-m", "bot.serve", "--only", "actions"],
                "healthcheck": {"test": ["CMD", "python", "-c", "urlopen('http://127.0.0.1:5055/health')"]},
                "mem_limit": "512m",
                "ports": ["127.0.0.1:5055:5055"],
            },
            "the proxy does not forward to it",
        ),
    ],
)
def test_a_broken_compose_service_is_caught(service, expected):
    problems = compose_service_problems("svc", service)
    assert any(expected in problem for problem in problems), problems


def test_a_one_shot_compose_service_needs_no_healthcheck_but_a_limit():
    migrate = {
        "image": "ghcr.io/example/pandu:1.0.0",
        "command": ["python", "-m", "bot.manage", "migrate"],
        "restart": "no",
        "mem_limit": "512m",
    }
    assert compose_service_problems("migrate", migrate) == []
    assert compose_service_problems("migrate", {**migrate, "mem_limit": None}) == ["migrate: no memory limit"]


def test_a_literal_secret_in_compose_environment_is_caught():
    service = {
        "environment": {
            "DATABASE_URL": "postgresql://pandu:pw@postgres/pandu",
            "APP_ENV": "production",
            "RASA_API_TOKEN_FILE": "/run/secrets/rasa_api_token",
            "TELEGRAM_BOT_TOKEN": "",
        }
    }
    assert compose_env_problems("rasa", service) == ["rasa: DATABASE_URL has a literal value in environment:"]
    assert compose_env_problems("rasa", {"environment": ["WHATSAPP_APP_SECRET=abc", "LOG_LEVEL=INFO"]}) == [
        "rasa: WHATSAPP_APP_SECRET has a literal value in environment:"
    ]


@pytest.mark.parametrize(
    "dockerfile, expected",
    [
        ("FROM python\nUSER 10001\n", "has no tag"),
        ("FROM python:latest\nUSER 10001\n", "not pinned"),
        ("FROM python:3.10.15-slim-bookworm\nRUN true\n", "no USER"),
        ("FROM python:3.10.15-slim-bookworm\nUSER root\n", "is root"),
        ("FROM python:3.10.15-slim-bookworm\nUSER 0:0\n", "is root"),
        ("FROM python:3.10.15-slim-bookworm AS a\nUSER 10001\nFROM python:3.10.15-slim-bookworm AS b\n", "no USER"),
        ("FROM python:3.10.15-slim-bookworm AS a\nFROM a AS b\nUSER 10001\nFROM a\n", "no USER"),
        ("FROM python:3.10.15-slim-bookworm AS a\nFROM b\nUSER 1\n", "has no tag"),
        (
            "FROM python:3.10.15-slim-bookworm\nENV APP_ENV=production \\\n    CONSOLE_SECRET_KEY=abc\nUSER 1\n",
            "no secret in the image",
        ),
    ],
)
def test_a_broken_dockerfile_is_caught(dockerfile, expected):
    problems = dockerfile_problems(dockerfile)
    assert any(expected in problem for problem in problems), problems


def test_a_dockerfile_using_an_earlier_stage_passes():
    text = "FROM python:3.10.15-slim-bookworm AS base\nFROM base AS runtime\n# comment\nUSER 10001:10001\n"
    assert dockerfile_problems(text) == []
    # A stage built on a non-root stage keeps its USER.
    assert dockerfile_problems("FROM python:3.10.15-slim-bookworm AS base\nUSER 10001\nFROM base\n") == []


def test_an_example_file_with_a_real_secret_is_caught():
    assert (
        env_example_problems(
            {
                "DATABASE_URL": "postgresql://pandu:CHANGE-ME@postgres/pandu",
                "REDIS_URL": "redis://redis:6379/0",
                "TELEGRAM_BOT_TOKEN": "",
                "LOG_LEVEL": "INFO",
            }
        )
        == []
    )
    assert env_example_problems(
        {"DATABASE_URL": "postgresql://pandu:hunter2@postgres/pandu", "WHATSAPP_APP_SECRET": "0123abcd"}
    ) == ["DATABASE_URL carries a value in an example file", "WHATSAPP_APP_SECRET carries a value in an example file"]


def test_the_operator_guide_links_to_readme_sections_that_exist():
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # Sizing is quoted from a measurement, not left as a placeholder.
    carries = guide.split("## What one instance carries", 1)[1]
    assert "make bench" in carries and "messages/s" in carries and "<!--" not in carries
    for heading, anchor in (
        ("Telegram, step by step", "telegram-step-by-step"),
        ("WhatsApp Cloud API, step by step", "whatsapp-cloud-api-step-by-step"),
    ):
        assert f"### {heading}" in readme
        assert f"../README.md#{anchor}" in guide
