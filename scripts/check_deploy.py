"""Checks deploy/ (run through scripts/check-deploy.sh, which provides the tools).

- every YAML/JSON file parses;
- the Helm chart lints and renders with Helm's own Go code (the `helm_python` package, a binding
  of Helm's SDK); the rendered manifests are checked: each values key of Port's Opsgenie docs
  lands in the right OCEAN__* variable, secrets only in the Secret, probes on the health routes,
  non-root security context matching the image, Service/Ingress on the webhook port;
- workload.kind=CronJob: `sync` on the schedule, the Deployment's ConfigMap, Secret, image and
  security context, no Service/Ingress, the refusals (ONCE Deployment, CronJob Ingress); without
  Helm the template is read as text;
- the ArgoCD example and the values for Port's `port-ocean` chart use keys that exist;
- the scheduled CI examples in deploy/scheduled/ (GitHub Actions, Jenkins, Azure DevOps, GitLab):
  schedules, one run at a time, the seed's OCEAN__* names, each a variable the binary reads
  (runtime/src/config) and the README documents, secrets never on a command line, `sync` flags
  that exist in the CLI;
- the probes of the pinned port-ocean chart version hit routes `serve` has (runtime/src/serve);
  CHECK_DEPLOY_PORT_OCEAN_CHART=<charts/port-ocean checkout> also renders that chart;
- the Dockerfile: stages, fully qualified and pinned bases, non-root numeric USER,
  ENTRYPOINT/CMD/EXPOSE, OCI labels, the MAPPINGS build argument, the same build flags as
  scripts/container-build.sh, a final stage scripts/image-build.sh can build, and hadolint when
  installed;
- deploy/README.md mirrors the README's Container and Kubernetes section.

Exit status 1 when any check fails. Without helm_python or hadolint those checks are skipped
with a warning (an error with CHECK_DEPLOY_STRICT=1).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, str(Path(__file__).resolve().parent))
import dockerfile_config  # noqa: E402 - shared with scripts/image-build.sh

ROOT = Path(os.environ.get("CHECK_DEPLOY_ROOT", Path(__file__).resolve().parent.parent))
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "opsgenie-port"
STRICT = os.environ.get("CHECK_DEPLOY_STRICT") == "1"

# Port's Opsgenie docs (Helm tab): values key -> environment variable, and whether it is secret.
SEED_KEYS: list[tuple[str, str, bool]] = [
    ("port.clientId", "OCEAN__PORT__CLIENT_ID", True),
    ("port.clientSecret", "OCEAN__PORT__CLIENT_SECRET", True),
    ("port.baseUrl", "OCEAN__PORT__BASE_URL", False),
    ("integration.identifier", "OCEAN__INTEGRATION__IDENTIFIER", False),
    ("integration.type", "OCEAN__INTEGRATION__TYPE", False),
    ("integration.eventListener.type", "OCEAN__EVENT_LISTENER", False),
    ("integration.secrets.apiToken", "OCEAN__INTEGRATION__CONFIG__API_TOKEN", True),
    ("integration.config.apiUrl", "OCEAN__INTEGRATION__CONFIG__API_URL", False),
    ("scheduledResyncInterval", "OCEAN__SCHEDULED_RESYNC_INTERVAL", False),
    ("initializePortResources", "OCEAN__INITIALIZE_PORT_RESOURCES", False),
]

# Top-level keys of Port's port-ocean chart (values.yaml at port-labs/helm-charts) that
# deploy/values-port-ocean.yaml may set.
PORT_OCEAN_KEYS = {
    "port", "imageRegistry", "image", "imagePullPolicy", "imagePullSecrets",
    "initializePortResources", "scheduledResyncInterval", "integration", "podSecurityContext",
    "containerSecurityContext", "resources", "livenessProbe", "readinessProbe", "extraEnv",
    "service", "ingress", "workload", "secret", "sendRawDataExamples", "podAnnotations",
    "nodeSelector", "tolerations", "affinity", "liveEvents", "clientTimeout",
}

passed = 0
failures: list[str] = []
warnings: list[str] = []


def check(condition: bool, what: str) -> bool:
    global passed
    if condition:
        passed += 1
    else:
        failures.append(what)
        print(f"FAIL: {what}")
    return condition


def warn(what: str) -> None:
    if STRICT:
        check(False, what)
    else:
        warnings.append(what)
        print(f"WARN: {what}")


def section(title: str) -> None:
    print(f"== {title}")


def dig(tree: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            raise KeyError(dotted)
        tree = tree[part]
    return tree


def has_key(tree: Any, dotted: str) -> bool:
    try:
        dig(tree, dotted)
        return True
    except KeyError:
        return False


def set_dotted(tree: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        tree = tree.setdefault(part, {})
    tree[parts[-1]] = value


def deep_merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# --- YAML files -----------------------------------------------------------------------------------


def check_yaml_files() -> dict[Path, list[Any]]:
    section("YAML and JSON files parse")
    parsed: dict[Path, list[Any]] = {}
    templates = CHART / "templates"
    for path in sorted(DEPLOY.rglob("*")):
        if path.suffix not in (".yaml", ".yml", ".json") or templates in path.parents:
            continue
        rel = path.relative_to(ROOT)
        try:
            text = path.read_text()
            docs = [json.loads(text)] if path.suffix == ".json" else list(yaml.safe_load_all(text))
            parsed[path] = docs
            check(all(doc is not None for doc in docs), f"{rel}: has an empty document")
        except (yaml.YAMLError, json.JSONDecodeError) as error:
            check(False, f"{rel}: does not parse: {error}")
    check(CHART / "Chart.yaml" in parsed, "deploy/helm/opsgenie-port/Chart.yaml exists")
    check(CHART / "values.yaml" in parsed, "deploy/helm/opsgenie-port/values.yaml exists")
    print(f"{len(parsed)} files parsed")
    return parsed


# --- chart values -----------------------------------------------------------------------------------


def check_values(values: dict, chart: dict) -> None:
    section("chart values carry the keys of Port's Opsgenie docs")
    check(chart.get("apiVersion") == "v2", "Chart.yaml: apiVersion v2")
    check(bool(re.fullmatch(r"\d+\.\d+\.\d+", str(chart.get("version", "")))), "Chart.yaml: semver version")
    for key, _, _ in SEED_KEYS:
        check(has_key(values, key), f"values.yaml: key {key} exists")
    for key in ("image.repository", "image.tag", "service.port", "ingress.enabled",
                "livenessProbe.enabled", "readinessProbe.enabled", "existingSecret"):
        check(has_key(values, key), f"values.yaml: key {key} exists")
    check(values.get("port", {}).get("clientSecret") in ("", None), "values.yaml: no default client secret")
    check(values.get("integration", {}).get("secrets", {}).get("apiToken") in ("", None),
          "values.yaml: no default API token")
    check(values.get("service", {}).get("port") == 8000, "values.yaml: service.port is 8000 (APPLICATION__PORT default)")
    check(str(values.get("image", {}).get("tag", "")) != "latest", "values.yaml: image.tag is not latest")


# --- rendering with Helm ------------------------------------------------------------------------------


def helm_module():
    try:
        import helm_python  # type: ignore

        return helm_python
    except ImportError:
        return None


def render_text(helm, values: dict) -> dict[str, str]:
    """Renders the chart; returns {template file name: text}, NOTES.txt included."""
    with helm.Chart.load(str(CHART)) as chart:
        out = chart.render(values, name="og", namespace="opsgenie")
    return {name.rsplit("/", 1)[-1]: text for name, text in out.items()}


def render(helm, values: dict) -> dict[str, list[dict]]:
    """Renders the chart; returns {template file name: [manifest, ...]}."""
    docs: dict[str, list[dict]] = {}
    for name, text in render_text(helm, values).items():
        if name.endswith(".txt"):
            continue
        docs[name] = [d for d in yaml.safe_load_all(text) if d]
    return docs


def by_kind(docs: dict[str, list[dict]]) -> dict[str, list[dict]]:
    kinds: dict[str, list[dict]] = {}
    for manifests in docs.values():
        for manifest in manifests:
            kinds.setdefault(manifest.get("kind", "?"), []).append(manifest)
    return kinds


def one(kinds: dict[str, list[dict]], kind: str) -> dict:
    found = kinds.get(kind, [])
    check(len(found) == 1, f"rendered chart has exactly one {kind} (found {len(found)})")
    return found[0] if found else {}


def sentinel_values() -> tuple[dict, dict[str, str]]:
    """Values with a distinct marker per seed key, and the expected variable values."""
    values: dict = {}
    expected: dict[str, str] = {}
    markers = {
        "port.clientId": "cid-7f3a",
        "port.clientSecret": "csecret-91bd",
        "port.baseUrl": "https://port.example.test",
        "integration.identifier": "og-sentinel-id",
        "integration.type": "opsgenie",
        "integration.eventListener.type": "WEBHOOKS_ONLY",
        "integration.secrets.apiToken": "token-52ce",
        "integration.config.apiUrl": "https://api.eu.opsgenie.com",
        "scheduledResyncInterval": 45,
        "initializePortResources": False,
    }
    for key, env, _ in SEED_KEYS:
        set_dotted(values, key, markers[key])
        expected[env] = str(markers[key]).lower() if isinstance(markers[key], bool) else str(markers[key])
    expected["OCEAN__EVENT_LISTENER"] = json.dumps({"type": "WEBHOOKS_ONLY"}, separators=(",", ":"))
    return values, expected


def check_helm(helm, values_file: dict, parsed: dict[Path, list[Any]]) -> None:
    section(f"Helm {helm.helm_sdk_version()}: lint")
    lint_values, expected = sentinel_values()
    report = helm.lint(str(CHART), lint_values, strict=True)
    problems = [m for m in report.get("messages", []) if m.get("severity", 0) >= 2] + [
        {"error": e} for e in report.get("errors", [])
    ]
    for problem in problems:
        print(f"  lint: {problem}")
    check(not problems, "helm lint --strict reports no warnings or errors")

    section("render: every seed key reaches its OCEAN__* variable")
    docs = render(helm, lint_values)
    kinds = by_kind(docs)
    configmap, secret = one(kinds, "ConfigMap"), one(kinds, "Secret")
    deployment, service = one(kinds, "Deployment"), one(kinds, "Service")
    check("Ingress" not in kinds, "no Ingress unless ingress.enabled")
    config_data = configmap.get("data", {}) or {}
    secret_data = {
        k: base64.b64decode(v).decode() for k, v in (secret.get("data", {}) or {}).items()
    }
    for key, env, is_secret in SEED_KEYS:
        home, other = (secret_data, config_data) if is_secret else (config_data, secret_data)
        where = "Secret" if is_secret else "ConfigMap"
        check(home.get(env) == expected[env],
              f"{key} -> {where} {env} = {expected[env]!r} (got {home.get(env)!r})")
        check(env not in other, f"{env} is only in the {where}")
    rendered_text = yaml.safe_dump(configmap) + yaml.safe_dump(deployment) + yaml.safe_dump(service)
    for key, _, is_secret in SEED_KEYS:
        if is_secret:
            check(str(dig(lint_values, key)) not in rendered_text,
                  f"{key}'s value appears only in the Secret")

    section("render: Deployment, probes, Service")
    pod = deployment.get("spec", {}).get("template", {}).get("spec", {})
    containers = pod.get("containers", [])
    check(len(containers) == 1, "one container")
    container = containers[0] if containers else {}
    check(container.get("image") == f"{values_file['image']['repository']}:0.1.0",
          "image = image.repository:appVersion when image.tag is empty")
    check(container.get("args") == ["serve"], "container runs `serve`")
    refs = container.get("envFrom", [])
    check({"configMapRef": {"name": configmap["metadata"]["name"]}} in refs, "envFrom the ConfigMap")
    check({"secretRef": {"name": secret["metadata"]["name"]}} in refs, "envFrom the Secret")
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports", [])}
    check(ports.get("http") == 8000 and config_data.get("APPLICATION__PORT") == "8000",
          "container port http = APPLICATION__PORT = 8000")
    for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")):
        get = container.get(probe, {}).get("httpGet", {})
        check(get.get("path") == path and get.get("port") == "http", f"{probe}: GET {path} on http")
    security = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    check(security.get("runAsNonRoot") is True, "runAsNonRoot")
    check(security.get("runAsUser") == dockerfile_uid(), "runAsUser matches the Dockerfile's USER")
    check(security.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem")
    check(security.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation false")
    check(deployment.get("spec", {}).get("replicas") == 1, "one replica (as Ocean)")
    selector = deployment.get("spec", {}).get("selector", {}).get("matchLabels", {})
    check(selector and service.get("spec", {}).get("selector") == selector,
          "Service selects the Deployment's pods")
    sports = service.get("spec", {}).get("ports", [])
    check(any(p.get("port") == 8000 and p.get("targetPort") == "http" for p in sports),
          "Service port 8000 -> http")

    section("render: variants")
    prefixed = deep_merge(lint_values, {
        "pathPrefix": "/og/", "ingress": {"enabled": True, "host": "og.example.test"},
        "integration": {"secrets": {"webhookSecret": "hook-0c1d"}},
    })
    kinds = by_kind(render(helm, prefixed))
    container = one(kinds, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    check(container["livenessProbe"]["httpGet"]["path"] == "/og/health/live",
          "pathPrefix moves the liveness probe")
    check(container["readinessProbe"]["httpGet"]["path"] == "/og/health/ready",
          "pathPrefix moves the readiness probe")
    check(one(kinds, "ConfigMap")["data"].get("OCEAN__PATH_PREFIX") == "/og", "OCEAN__PATH_PREFIX=/og")
    ingress = one(kinds, "Ingress")
    rule = (ingress.get("spec", {}).get("rules") or [{}])[0]
    path = (rule.get("http", {}).get("paths") or [{}])[0]
    check(rule.get("host") == "og.example.test" and path.get("path") == "/og/integration",
          "Ingress exposes {pathPrefix}/integration on ingress.host")
    check(path.get("backend", {}).get("service", {}).get("port", {}).get("name") == "http",
          "Ingress targets the Service's http port")
    secret_data = one(kinds, "Secret").get("data", {})
    check(base64.b64decode(secret_data.get("OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET", "")) == b"hook-0c1d",
          "integration.secrets.webhookSecret -> Secret OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET")

    existing = deep_merge(lint_values, {"existingSecret": "my-og-credentials"})
    for key, _, is_secret in SEED_KEYS:
        if is_secret:
            set_dotted(existing, key, "")
    kinds = by_kind(render(helm, existing))
    check("Secret" not in kinds, "existingSecret: the chart creates no Secret")
    refs = one(kinds, "Deployment")["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    check({"secretRef": {"name": "my-og-credentials"}} in refs, "existingSecret: envFrom that Secret")

    expect_render_error(helm, deep_merge(lint_values, {"port": {"clientId": ""}}), "port.clientId",
                        "render without port.clientId fails naming it")
    expect_render_error(helm, deep_merge(lint_values, {"integration": {"secrets": {"apiToken": ""}}}),
                        "apiToken", "render without integration.secrets.apiToken fails naming it")
    expect_render_error(helm, deep_merge(lint_values, {"integration": {"eventListener": {"type": "KAFKA"}}}),
                        "", "values.schema.json rejects event listener KAFKA (not supported)")

    check_cronjob(helm, lint_values, expected)

    section("render: the ArgoCD example's values and parameters")
    app_path = DEPLOY / "argocd" / "application.yaml"
    argo_values_path = DEPLOY / "argocd" / "values.yaml"
    if app_path in parsed and argo_values_path in parsed:
        argo_values = copy.deepcopy(parsed[argo_values_path][0])
        source = chart_source(parsed[app_path][0])
        for parameter in source.get("helm", {}).get("parameters", []):
            set_dotted(argo_values, parameter["name"], parameter["value"])
        try:
            kinds = by_kind(render(helm, argo_values))
            check("Deployment" in kinds and "Secret" in kinds, "ArgoCD values + parameters render")
        except Exception as error:  # noqa: BLE001 - any render failure is the finding
            check(False, f"ArgoCD values + parameters render: {error}")


def check_cronjob(helm, lint_values: dict, expected: dict[str, str]) -> None:
    """workload.kind=CronJob: Port's scheduled (ONCE) installation, `sync` on a schedule."""
    section("render: workload.kind=CronJob runs `sync` on workload.cron.schedule")
    deployment_kinds = by_kind(render(helm, lint_values))
    cron_values = deep_merge(lint_values, {"workload": {"kind": "CronJob", "cron": {"schedule": "17 */3 * * *"}}})
    report = helm.lint(str(CHART), cron_values, strict=True)
    problems = [m for m in report.get("messages", []) if m.get("severity", 0) >= 2] + report.get("errors", [])
    check(not problems, f"helm lint --strict with workload.kind=CronJob reports nothing ({problems})")
    kinds = by_kind(render(helm, cron_values))
    for absent in ("Deployment", "Service", "Ingress"):
        check(absent not in kinds, f"CronJob mode renders no {absent} (nothing listens)")
    cronjob = one(kinds, "CronJob")
    configmap, secret = one(kinds, "ConfigMap"), one(kinds, "Secret")
    check(configmap == one(deployment_kinds, "ConfigMap") and secret == one(deployment_kinds, "Secret"),
          "CronJob mode: the same ConfigMap and Secret as the Deployment")
    check(cronjob.get("apiVersion") == "batch/v1", "CronJob is batch/v1")
    spec = cronjob.get("spec", {})
    check(spec.get("schedule") == "17 */3 * * *", "CronJob schedule = workload.cron.schedule")
    check(spec.get("concurrencyPolicy") == "Forbid", "concurrencyPolicy Forbid: one resync at a time")
    check("timeZone" not in spec, "no timeZone unless workload.cron.timeZone is set")
    check(len(cronjob.get("metadata", {}).get("name", "")) <= 52,
          "CronJob name ≤ 52 characters (Job names get 11 more)")
    job = spec.get("jobTemplate", {}).get("spec", {})
    pod = job.get("template", {}).get("spec", {})
    check(pod.get("restartPolicy") == "Never", "restartPolicy Never (a failed resync fails its Job)")
    check("activeDeadlineSeconds" not in job, "no activeDeadlineSeconds unless resyncTimeoutMinutes")
    containers = pod.get("containers", [])
    check(len(containers) == 1, "CronJob: one container")
    container = containers[0] if containers else {}
    deployment = one(deployment_kinds, "Deployment")
    served_pod = deployment.get("spec", {}).get("template", {}).get("spec", {})
    served = served_pod.get("containers", [{}])[0]
    check(container.get("args") == ["sync"], "CronJob container runs `sync`")
    for key in ("image", "imagePullPolicy", "envFrom", "securityContext", "resources"):
        check(container.get(key) == served.get(key), f"CronJob container {key} = the Deployment's")
    for key in ("securityContext", "automountServiceAccountToken", "terminationGracePeriodSeconds"):
        check(pod.get(key) == served_pod.get(key), f"CronJob pod {key} = the Deployment's")
    check(not any(k in container for k in ("ports", "livenessProbe", "readinessProbe")),
          "CronJob container: no ports, no probes")
    refs = container.get("envFrom", [])
    check({"configMapRef": {"name": configmap["metadata"]["name"]}} in refs
          and {"secretRef": {"name": secret["metadata"]["name"]}} in refs, "CronJob envFrom the ConfigMap and Secret")
    check(configmap.get("data", {}).get("OCEAN__PORT__BASE_URL") == expected["OCEAN__PORT__BASE_URL"],
          "CronJob mode: seed keys still reach the ConfigMap")

    variant = deep_merge(cron_values, {
        "existingSecret": "my-og-credentials", "extraEnv": [{"name": "OCEAN__MAPPING_SOURCE", "value": "compiled"}],
        "fullnameOverride": "x" * 60,
        "workload": {"cron": {"timeZone": "Europe/Berlin", "resyncTimeoutMinutes": 90, "suspend": True}},
    })
    kinds = by_kind(render(helm, variant))
    cronjob = one(kinds, "CronJob")
    spec = cronjob.get("spec", {})
    job = spec.get("jobTemplate", {}).get("spec", {})
    container = job.get("template", {}).get("spec", {}).get("containers", [{}])[0]
    check("Secret" not in kinds and {"secretRef": {"name": "my-og-credentials"}} in container.get("envFrom", []),
          "CronJob with existingSecret: envFrom that Secret, none created")
    check({"name": "OCEAN__MAPPING_SOURCE", "value": "compiled"} in container.get("env", []),
          "CronJob: extraEnv reaches the container")
    check(spec.get("timeZone") == "Europe/Berlin" and spec.get("suspend") is True,
          "workload.cron.timeZone and suspend reach the CronJob")
    check(job.get("activeDeadlineSeconds") == 5400, "resyncTimeoutMinutes 90 -> activeDeadlineSeconds 5400")
    check(len(cronjob["metadata"]["name"]) <= 52, f"long fullname truncated to 52 ({len(cronjob['metadata']['name'])})")

    notes = render_text(helm, cron_values).get("NOTES.txt", "")
    check("kubectl create job --from=cronjob/og-opsgenie-port" in notes and "17 */3 * * *" in notes,
          "NOTES (CronJob): schedule and how to run it now")
    notes = render_text(helm, lint_values).get("NOTES.txt", "")
    check("/integration/webhook" in notes and "cronjob" not in notes.lower(), "NOTES (Deployment): the webhook URL")

    expect_render_error(helm, deep_merge(cron_values, {"workload": {"cron": {"schedule": "every hour"}}}), "",
                        "values.schema.json rejects a schedule that is not cron syntax")
    expect_render_error(helm, deep_merge(cron_values, {"ingress": {"enabled": True, "host": "x.test"}}),
                        "workload.kind=Deployment", "Ingress with a CronJob fails (nothing listens)")
    expect_render_error(helm, deep_merge(lint_values, {"integration": {"eventListener": {"type": "ONCE"}}}),
                        "workload.kind=CronJob", "a Deployment with the ONCE listener fails, pointing to the CronJob")
    expect_render_error(helm, deep_merge(lint_values, {"workload": {"kind": "Job"}}), "",
                        "values.schema.json rejects workload.kind Job")


def check_cronjob_template() -> None:
    """Without Helm: the CronJob template read as text, the way the values are checked."""
    section("CronJob template (structural; Helm unavailable)")
    templates = CHART / "templates"
    cron = (templates / "cronjob.yaml").read_text()
    deployment = (templates / "deployment.yaml").read_text()
    check('if eq .Values.workload.kind "CronJob"' in cron, "cronjob.yaml renders only with workload.kind=CronJob")
    check('if eq .Values.workload.kind "Deployment"' in deployment,
          "deployment.yaml only with workload.kind=Deployment")
    check("kind: CronJob" in cron and "apiVersion: batch/v1" in cron, "batch/v1 CronJob")
    check('args: ["sync"]' in cron and 'args: ["serve"]' in deployment, "CronJob runs sync, Deployment serve")
    check("$cron.schedule" in cron and "restartPolicy: Never" in cron, "schedule from values, restartPolicy Never")
    for helper in ("podSettings", "containerImage", "containerEnv", "containerLimits", "podScheduling"):
        include = f'include "opsgenie-port.{helper}"'
        check(include in cron and include in deployment, f"CronJob and Deployment share {helper}")
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    check(values.get("workload", {}).get("kind") == "Deployment", "values: workload.kind defaults to Deployment")
    check(bool(values.get("workload", {}).get("cron", {}).get("schedule")), "values: workload.cron.schedule set")


def expect_render_error(helm, values: dict, needle: str, what: str) -> None:
    try:
        render(helm, values)
    except Exception as error:  # noqa: BLE001 - the error is what we check
        check(needle in str(error), f"{what} ({str(error)[:100]})")
        return
    check(False, f"{what}: it rendered")


# --- ArgoCD and port-ocean values ---------------------------------------------------------------------


def chart_source(app: dict) -> dict:
    for source in app.get("spec", {}).get("sources", []):
        if "path" in source or "chart" in source:
            return source
    return {}


def check_argocd(parsed: dict[Path, list[Any]], values: dict) -> None:
    section("ArgoCD Application")
    path = DEPLOY / "argocd" / "application.yaml"
    if not check(path in parsed, "deploy/argocd/application.yaml exists"):
        return
    app = parsed[path][0]
    check(app.get("apiVersion") == "argoproj.io/v1alpha1" and app.get("kind") == "Application",
          "argoproj.io/v1alpha1 Application")
    spec = app.get("spec", {})
    check(bool(spec.get("destination", {}).get("namespace")), "destination namespace set")
    source = chart_source(app)
    check(source.get("path") == "deploy/helm/opsgenie-port" and (ROOT / source.get("path", "-")).is_dir(),
          "chart source path is this chart")
    refs = {s.get("ref") for s in spec.get("sources", []) if s.get("ref")}
    for value_file in source.get("helm", {}).get("valueFiles", []):
        ref = value_file.split("/", 1)[0]
        check(not ref.startswith("$") or ref[1:] in refs, f"valueFiles {value_file}: source ref {ref} exists")
    for parameter in source.get("helm", {}).get("parameters", []):
        check(has_key(values, parameter.get("name", "")), f"parameter {parameter.get('name')} is a values key")


def check_port_ocean_values(parsed: dict[Path, list[Any]]) -> None:
    section("values for Port's port-ocean chart")
    path = DEPLOY / "values-port-ocean.yaml"
    if not check(path in parsed, "deploy/values-port-ocean.yaml exists"):
        return
    values = parsed[path][0]
    unknown = set(values) - PORT_OCEAN_KEYS
    check(not unknown, f"only port-ocean chart keys (unknown: {sorted(unknown)})")
    for key, _, _ in SEED_KEYS:
        check(has_key(values, key), f"values-port-ocean.yaml: key {key} exists")
    image = str(values.get("image", ""))
    check(bool(values.get("imageRegistry")) and re.fullmatch(r"[a-z0-9._/-]*opsgenie-port:[\w.-]+", image) is not None,
          "image override: imageRegistry + opsgenie-port:<tag>")
    check(not image.endswith(":latest"), "image override is not :latest")
    listener = values.get("integration", {}).get("eventListener", {})
    check(listener.get("type") in ("POLLING", "WEBHOOKS_ONLY"), "event listener POLLING or WEBHOOKS_ONLY")
    check("brokers" in listener and listener["brokers"] is None,
          "eventListener.brokers: null drops the chart's Kafka default")
    check(values.get("livenessProbe", {}).get("enabled", True) and values.get("readinessProbe", {}).get("enabled", True),
          "port-ocean probes (/health/live, /health/ready) stay enabled")
    check(values.get("podSecurityContext", {}).get("runAsUser") == dockerfile_uid(),
          "runAsUser matches the Dockerfile's USER")


# --- what the binary accepts, read from its source ----------------------------------------------------
# The CI examples and the probe override are checked against these, so they cannot name a variable
# the binary ignores or probe a path it does not serve.

CONFIG_SOURCE = ROOT / "runtime" / "src" / "config" / "mod.rs"
SERVER_SOURCE = ROOT / "runtime" / "src" / "serve" / "server.rs"
# The Docker parameters of Port's scheduled installations (GitHub, Jenkins, Azure DevOps).
SEED_CI_ENV = ["OCEAN__PORT__CLIENT_ID", "OCEAN__PORT__CLIENT_SECRET",
               "OCEAN__INTEGRATION__CONFIG__API_TOKEN", "OCEAN__INTEGRATION__CONFIG__API_URL"]
# Never on a command line or in a log.
SECRET_ENV = {"OCEAN__PORT__CLIENT_ID", "OCEAN__PORT__CLIENT_SECRET", "OCEAN__INTEGRATION__CONFIG__API_TOKEN",
              "OCEAN__INTEGRATION__CONFIG__WEBHOOK_SECRET"}


def accepted_env() -> set[str]:
    """The OCEAN__*/APPLICATION__* names runtime/src/config reads, e.g. `ocean.url(&["port",
    "base_url"])` -> OCEAN__PORT__BASE_URL, `positive(&ocean, &["client_timeout"], ..)`."""
    text = CONFIG_SOURCE.read_text()
    names: set[str] = set()
    for pattern in (r"\b(ocean|application)\s*\.\s*\w+\(\s*&\[([^\]]*)\]",
                    r"\w+\(\s*&(ocean|application)\s*,\s*&\[([^\]]*)\]"):
        for prefix, path in re.findall(pattern, text):
            segments = re.findall(r'"(\w+)"', path)
            if segments:
                names.add("__".join([prefix.upper(), *(segment.upper() for segment in segments)]))
    return names


def env_accepted(name: str, accepted: set[str]) -> bool:
    """Read by the binary, or a JSON-valued parent of what it reads (OCEAN__EVENT_LISTENER)."""
    return name in accepted or any(known.startswith(name + "__") for known in accepted)


def documented_env() -> set[str]:
    return set(re.findall(r"`((?:OCEAN|APPLICATION)__[A-Z_]+)`", (ROOT / "README.md").read_text()))


def served_routes() -> dict[str, set[str]]:
    """{"GET": {"/health/live", ...}, "POST": {...}} from the serve router (without OCEAN__PATH_PREFIX)."""
    routes: dict[str, set[str]] = {"GET": set(), "POST": set()}
    text = SERVER_SOURCE.read_text()
    for path, method in re.findall(r'\.route\(\s*&format!\("\{prefix\}([^"]+)"\)\s*,\s*(get|post)\(', text):
        routes[method.upper()].add(path)
    return routes


def default_application_port() -> int | None:
    match = re.search(r'application\s*\.\s*integer\(&\["port"\]\)\?\s*\.unwrap_or\((\d+)\)', CONFIG_SOURCE.read_text())
    return int(match.group(1)) if match else None


def cli_flag_defined(flag: str) -> bool:
    """A clap flag: a `pub log_format:` field (derive) or `long = "log-format"` in the CLI sources."""
    field = flag.removeprefix("--").replace("-", "_")
    for base in ("src", "cli/src"):
        for path in sorted((ROOT / base).rglob("*.rs")) if (ROOT / base).is_dir() else []:
            text = path.read_text()
            if re.search(rf"^\s*(pub\s+)?{field}\s*:", text, re.MULTILINE) or f'long = "{flag[2:]}"' in text:
                return True
    return False


def check_binary_surface(accepted: set[str], routes: dict[str, set[str]]) -> bool:
    section("what the binary accepts (runtime/src/config, runtime/src/serve)")
    # Guards against a parser that silently finds nothing, which would let every check below pass.
    ok = check(set(SEED_CI_ENV) | {"OCEAN__INITIALIZE_PORT_RESOURCES", "OCEAN__MAPPING_SOURCE",
                                   "OCEAN__EVENT_LISTENER__TYPE", "APPLICATION__PORT"} <= accepted,
               f"read {len(accepted)} variable names from {CONFIG_SOURCE.relative_to(ROOT)}")
    ok &= check({"/health/live", "/health/ready"} <= routes["GET"],
                f"read the serve routes from {SERVER_SOURCE.relative_to(ROOT)}: GET {sorted(routes['GET'])}")
    return ok


# --- scheduled runs in CI ---------------------------------------------------------------------------------

SCHEDULED = DEPLOY / "scheduled"
CRON = re.compile(r"^(\S+\s+){4}\S+$")


def docker_run(script: str) -> tuple[dict[str, str | None], list[str]] | None:
    """The `-e` variables ({name: value or None}) and the arguments after the image of the first
    `docker run` in a shell script (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", script)
    match = re.search(r"docker run ([^\n]*)", text)
    if not match:
        return None
    words = shlex.split(match.group(1))
    env: dict[str, str | None] = {}
    index = 0
    while index < len(words) and words[index].startswith("-"):
        word = words[index]
        if word in ("-e", "--env"):
            name, has_value, value = words[index + 1].partition("=")
            env[name] = value if has_value else None
            index += 2
        elif word.startswith("--") and "=" in word or word in ("--rm", "-i", "-t", "-it"):
            index += 1
        else:
            index += 2
    return env, words[index:]


def check_docker_example(rel: str, text: str, script: str, image: str, accepted: set[str],
                         documented: set[str]) -> None:
    """A Jenkins/Azure/GitLab snippet: `docker run ... <image> sync` with the seed's variables."""
    parsed = docker_run(script)
    if not check(parsed is not None, f"{rel}: runs the image with docker run"):
        return
    env, rest = parsed
    check(len(rest) >= 2 and rest[-1] == "sync", f"{rel}: the container runs `sync` (one resync, Ocean's ONCE)")
    check(image in text, f"{rel}: runs {image} (the chart's image.repository:appVersion)")
    for name in SEED_CI_ENV:
        check(name in env, f"{rel}: passes {name}, as Port's example does")
    for name, value in env.items():
        check(env_accepted(name, accepted), f"{rel}: the binary reads {name}")
        check(name in documented, f"{rel}: {name} is in the README's variable table")
        if name in SECRET_ENV or name in SEED_CI_ENV:
            check(value is None, f"{rel}: {name} passed through (-e {name}), its value not on the command line")
    check_no_secret_expansion(rel, script)


def check_no_secret_expansion(rel: str, script: str) -> None:
    expanded = sorted({n for n in SECRET_ENV if re.search(rf"\$\{{?{n}\b", script)})
    check(not expanded, f"{rel}: no secret expanded into a command or log line ({expanded})")


def check_github_actions(parsed: dict[Path, list[Any]], accepted: set[str], documented: set[str]) -> None:
    path = SCHEDULED / "github-actions.yml"
    rel = str(path.relative_to(ROOT))
    section(rel)
    if not check(path in parsed, f"{rel} exists and parses"):
        return
    workflow = parsed[path][0]
    triggers = workflow.get("on", workflow.get(True, {})) or {}  # YAML 1.1 reads a bare `on` as true
    crons = [entry.get("cron", "") for entry in triggers.get("schedule") or []]
    check(bool(crons) and all(CRON.match(c) for c in crons), f"{rel}: on.schedule with cron ({crons})")
    check("workflow_dispatch" in triggers, f"{rel}: on.workflow_dispatch")
    check((workflow.get("concurrency") or {}).get("cancel-in-progress") is False,
          f"{rel}: concurrency without cancel-in-progress (one resync at a time, none cut short)")
    jobs = list((workflow.get("jobs") or {}).values())
    if not check(len(jobs) == 1, f"{rel}: one job"):
        return
    steps = jobs[0].get("steps") or []
    uses = [str(step.get("uses", "")) for step in steps]
    check(any(u.startswith("actions/checkout@") for u in uses), f"{rel}: checks out the repository")
    check(any(u.startswith(("Swatinem/rust-cache@", "actions/cache@")) for u in uses), f"{rel}: caches cargo")
    runs = {i: str(step.get("run", "")) for i, step in enumerate(steps)}
    mappings = {**(workflow.get("env") or {}), **(jobs[0].get("env") or {})}.get("OPSGENIE_PORT_MAPPINGS")
    check(bool(mappings) and (ROOT / str(mappings) / "port-app-config.yaml").is_file(),
          f"{rel}: OPSGENIE_PORT_MAPPINGS={mappings} is a mapping directory of this repository")
    build = [i for i, run in runs.items() if "cargo build" in run]
    docker_build = build_settings((DEPLOY / "Dockerfile").read_text()).get("cargo build", "")
    package = re.search(r"-p \S+", docker_build)
    check(len(build) == 1 and "--release" in runs[build[0]] and "--locked" in runs[build[0]]
          and package is not None and package.group(0) in runs[build[0]],
          f"{rel}: cargo build --release --locked {package.group(0) if package else '-p ?'} (the Dockerfile's package)")
    rust = re.search(r"rust:(\d+\.\d+\.\d+)", (DEPLOY / "Dockerfile").read_text())
    toolchains = set(re.findall(r"rustup (?:toolchain install|default) (\S+)", "\n".join(runs.values())))
    check(rust is not None and toolchains == {rust.group(1)},
          f"{rel}: Rust {sorted(toolchains)}, the Dockerfile's {rust.group(1) if rust else '?'}")
    sync = [i for i, run in runs.items() if re.search(r"opsgenie-port sync\b", run)]
    if not check(len(sync) == 1 and (not build or sync[0] > build[0]),
                 f"{rel}: runs opsgenie-port sync after the build"):
        return
    step = steps[sync[0]]
    env = {str(k): str(v) for k, v in (step.get("env") or {}).items()}
    for name in SEED_CI_ENV:
        check(name in env, f"{rel}: sync step sets {name}, as Port's example does")
    for name, value in env.items():
        check(env_accepted(name, accepted), f"{rel}: the binary reads {name}")
        check(name in documented, f"{rel}: {name} is in the README's variable table")
        if name in SEED_CI_ENV:
            check(re.match(rf"\$\{{\{{\s*secrets\.{name}\b", value) is not None,
                  f"{rel}: {name} from the GitHub secret of the same name")
    flags = re.findall(r"(?<!\S)(--[a-z][a-z-]*)", runs[sync[0]].split("opsgenie-port sync", 1)[1])
    for flag in flags:
        check(cli_flag_defined(flag), f"{rel}: sync flag {flag} exists in the CLI")
    elsewhere = [s for i, s in enumerate(steps) if i != sync[0] and "secrets." in json.dumps(s)]
    check(not elsewhere and "secrets." not in json.dumps({k: v for k, v in workflow.items() if k != "jobs"})
          and "secrets." not in json.dumps({k: v for k, v in jobs[0].items() if k != "steps"}),
          f"{rel}: secrets only in the sync step's environment")
    for i, run in runs.items():
        check_no_secret_expansion(f"{rel} step {i + 1}", run)


def check_scheduled_examples(parsed: dict[Path, list[Any]], values: dict, chart: dict, accepted: set[str],
                             documented: set[str]) -> None:
    check_github_actions(parsed, accepted, documented)
    image = f"{values.get('image', {}).get('repository')}:{chart.get('appVersion')}"

    path = SCHEDULED / "Jenkinsfile"
    rel = str(path.relative_to(ROOT))
    section(rel)
    if check(path.is_file(), f"{rel} exists"):
        text = path.read_text()
        crons = re.findall(r"\bcron\('([^']*)'\)", text)
        check(len(crons) == 1 and CRON.match(crons[0]) is not None, f"{rel}: triggers {{ cron(...) }} ({crons})")
        check("disableConcurrentBuilds()" in text, f"{rel}: disableConcurrentBuilds (one resync at a time)")
        credentials = dict(re.findall(r"string\(credentialsId:\s*'([^']+)',\s*variable:\s*'([^']+)'\)", text))
        for name in SEED_CI_ENV:
            check(credentials.get(name) == name, f"{rel}: credential {name} bound to the variable {name}")
        blocks = re.findall(r"sh\s*\(?\s*'''(.*?)'''", text, re.S)
        check(len(blocks) == 1 and '"""' not in text,
              f"{rel}: one sh '''...''' block (single quotes: Groovy does not interpolate the secrets)")
        if blocks:
            check_docker_example(rel, text, blocks[0], image, accepted, documented)

    path = SCHEDULED / "azure-pipelines.yml"
    rel = str(path.relative_to(ROOT))
    section(rel)
    if check(path in parsed, f"{rel} exists and parses"):
        pipeline = parsed[path][0]
        schedules = pipeline.get("schedules") or []
        check(bool(schedules) and all(CRON.match(str(s.get("cron", ""))) and s.get("always") is True
                                      for s in schedules),
              f"{rel}: schedules with cron, always: true (Opsgenie changes, not the repository)")
        check(any(isinstance(v, dict) and v.get("group") for v in pipeline.get("variables") or []),
              f"{rel}: credentials from a variable group")
        steps = [s for s in pipeline.get("steps") or [] if "docker run" in str(s.get("script", ""))]
        if check(len(steps) == 1, f"{rel}: one step runs the image"):
            step = steps[0]
            check_docker_example(rel, path.read_text(), str(step["script"]), image, accepted, documented)
            mapped = step.get("env") or {}
            for name in SEED_CI_ENV:
                check(str(mapped.get(name, "")) == f"$({name})",
                      f"{rel}: env maps {name}: $({name}) (secret variables reach scripts only so)")

    path = SCHEDULED / "gitlab-ci.yml"
    rel = str(path.relative_to(ROOT))
    section(rel)
    if check(path in parsed, f"{rel} exists and parses"):
        config = parsed[path][0]
        jobs = {k: v for k, v in config.items() if isinstance(v, dict) and "script" in v}
        if check(len(jobs) == 1, f"{rel}: one job"):
            job = next(iter(jobs.values()))
            rules = [str(rule.get("if", "")) for rule in job.get("rules") or []]
            check(any('$CI_PIPELINE_SOURCE == "schedule"' in rule for rule in rules),
                  f"{rel}: runs on a pipeline schedule")
            check(bool(job.get("resource_group")), f"{rel}: resource_group (one resync at a time)")
            services = [s if isinstance(s, dict) else {"name": s} for s in job.get("services") or []]
            check(any("dind" in str(s.get("name")) and s.get("alias") == "docker" for s in services),
                  f"{rel}: Docker-in-Docker service reachable as docker")
            for name in [str(job.get("image", ""))] + [str(s.get("name")) for s in services]:
                check(fully_qualified(name), f"{rel}: {name} fully qualified")
            script = "\n".join(job.get("script") or [])
            check_docker_example(rel, path.read_text(), script, image, accepted, documented)


# --- the probes of Port's port-ocean chart ---------------------------------------------------------------

# What port-ocean's Deployment probes, by chart version (the paths are in its template, not values):
# probes arrived in 0.1.22 on GET /docs (port-labs/helm-charts fb1f31c); 0.16.0 moved them to
# /health/live and /health/ready (68a7897, "Updated health routes (#277)").
PORT_OCEAN_PROBES = [((0, 1, 22), "/docs", "/docs"), ((0, 16, 0), "/health/live", "/health/ready")]


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def port_ocean_probes(version: tuple[int, ...]) -> tuple[str, str] | None:
    paths = None
    for since, live, ready in PORT_OCEAN_PROBES:
        if version >= since:
            paths = (live, ready)
    return paths


def check_port_ocean_probes(parsed: dict[Path, list[Any]], routes: dict[str, set[str]]) -> None:
    section("port-ocean chart probes reach paths `serve` answers")
    path = DEPLOY / "values-port-ocean.yaml"
    if path not in parsed:
        return
    values = parsed[path][0]
    text = path.read_text()
    # The documented install pins a chart version range; the probes of its lowest version count.
    pins = set(re.findall(r"port-labs/port-ocean\b[^\n]*?--version[ =]['\"]?>=?(\d+\.\d+\.\d+)", text)
               + re.findall(r"--version[ =]['\"]?>=?(\d+\.\d+\.\d+)['\"]?[^\n]*port-labs/port-ocean", text))
    in_docs = r"port-labs/port-ocean[^\n`]*?--version[ =]['\"]?>=?(\d+\.\d+\.\d+)"
    docs = {f: set(re.findall(in_docs, (ROOT / f).read_text())) for f in ("README.md", "deploy/README.md")}
    if not check(len(pins) == 1,
                 f"values-port-ocean.yaml: the install command pins --version '>=X.Y.Z' ({sorted(pins)})"):
        return
    pin = pins.pop()
    for name, found in docs.items():
        check(found == {pin}, f"{name}: the port-ocean install command pins the same --version ({sorted(found)})")
    probes = port_ocean_probes(version_tuple(pin))
    live_on = values.get("livenessProbe", {}).get("enabled", True)
    ready_on = values.get("readinessProbe", {}).get("enabled", True)
    if probes is None:
        check(True, f"port-ocean {pin} has no probes")
        return
    for enabled, probe, probe_path in ((live_on, "livenessProbe", probes[0]), (ready_on, "readinessProbe", probes[1])):
        if enabled:
            check(probe_path in routes["GET"],
                  f"port-ocean >= {pin} {probe} GET {probe_path}: served by `serve` ({sorted(routes['GET'])})")
        else:
            check(probe_path not in routes["GET"], f"{probe} disabled although `serve` answers GET {probe_path}")
    # port-ocean probes service.port without OCEAN__PATH_PREFIX, so neither may move.
    extra = {e.get("name"): e.get("value") for e in values.get("extraEnv") or [] if isinstance(e, dict)}
    check("OCEAN__PATH_PREFIX" not in extra, "no OCEAN__PATH_PREFIX: port-ocean's probe paths have no prefix")
    port = int(extra.get("APPLICATION__PORT") or default_application_port() or 0)
    check(int((values.get("service") or {}).get("port", 8000)) == port,
          f"port-ocean service.port (probed) = the port `serve` listens on ({port})")
    # Older charts probe GET /docs: `serve` answers it, or the file must say to disable both probes.
    older = {p for _, live, ready in PORT_OCEAN_PROBES for p in (live, ready)}
    check(older <= routes["GET"] or ("/docs" in text and "enabled: false" in text),
          f"every port-ocean version's probes ({sorted(older)}) are served, or values-port-ocean.yaml "
          "says to disable them")

    chart_dir = os.environ.get("CHECK_DEPLOY_PORT_OCEAN_CHART")
    helm = helm_module()
    if chart_dir and helm:
        render_port_ocean(helm, Path(chart_dir), values, routes)


def render_port_ocean(helm, chart_dir: Path, values: dict, routes: dict[str, set[str]]) -> None:
    """With CHECK_DEPLOY_PORT_OCEAN_CHART=<a checkout of charts/port-ocean>: render it with
    values-port-ocean.yaml and check the Deployment really probes paths `serve` answers."""
    chart_version = yaml.safe_load((chart_dir / "Chart.yaml").read_text()).get("version")
    section(f"render Port's port-ocean chart {chart_version} with values-port-ocean.yaml")
    merged = deep_merge(values, {"port": {"clientId": "cid", "clientSecret": "cs"},
                                 "integration": {"secrets": {"apiToken": "tok"}}})
    with helm.Chart.load(str(chart_dir)) as chart:
        out = chart.render(merged, name="og", namespace="opsgenie")
    manifests = [d for name, text in out.items() if not name.endswith(".txt") for d in yaml.safe_load_all(text) if d]
    deployments = [m for m in manifests if m.get("kind") == "Deployment"]
    if not check(len(deployments) == 1, f"port-ocean {chart_version}: one Deployment"):
        return
    container = deployments[0]["spec"]["template"]["spec"]["containers"][0]
    check(container.get("image") == f"{values['imageRegistry']}/{values['image']}",
          f"port-ocean {chart_version}: runs {values['imageRegistry']}/{values['image']}")
    check("command" not in container and "args" not in container,
          f"port-ocean {chart_version}: no command, so the image's `serve` runs")
    for probe in ("livenessProbe", "readinessProbe"):
        if probe in container:
            probe_path = container[probe].get("httpGet", {}).get("path")
            check(probe_path in routes["GET"], f"port-ocean {chart_version}: {probe} GET {probe_path} is served")


# --- Dockerfile -------------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    return dockerfile_config.instructions((DEPLOY / "Dockerfile").read_text())


def dockerfile_uid() -> int | None:
    stages = dockerfile_stages()
    users = [a for i, a in stages[-1][1] if i == "USER"] if stages else []
    try:
        return int(users[-1].split(":")[0]) if users else None
    except ValueError:
        return None


def dockerfile_stages() -> list[tuple[str, list[tuple[str, str]]]]:
    return dockerfile_config.stages((DEPLOY / "Dockerfile").read_text())


def build_settings(text: str) -> dict[str, str]:
    """The build flags a file sets: RUSTFLAGS, CARGO_PROFILE_RELEASE_STRIP, cargo build args."""
    found: dict[str, str] = {}
    for name in ("RUSTFLAGS", "CARGO_PROFILE_RELEASE_STRIP"):
        match = re.search(rf'{name}=("[^"]*"|\'[^\']*\'|\S+)', text)
        if match:
            found[name] = match.group(1).strip("\"'")
    match = re.search(r"^\s*cargo build (--[^;\n]*)", text, re.MULTILINE)
    if match:
        found["cargo build"] = " ".join(shlex.split(match.group(1)))
    return found


def fully_qualified(image: str) -> bool:
    """`registry.host/namespace/name[:tag]`: the first component names a registry."""
    first, _, rest = image.partition("/")
    return bool(rest) and ("." in first or ":" in first or first == "localhost") and "/" in rest


def check_dockerfile() -> None:
    section("Dockerfile")
    text = (DEPLOY / "Dockerfile").read_text()
    instructions = dockerfile_instructions()
    global_args = {}
    for instruction, args in instructions:
        if instruction == "FROM":
            break
        if instruction == "ARG" and "=" in args:
            name, _, default = args.partition("=")
            global_args[name] = default
    stages = dockerfile_stages()
    check(len(stages) >= 2, f"multi-stage ({len(stages)} stages)")
    syntax = re.match(r"#\s*syntax=(\S+)", text)
    if syntax:
        check(fully_qualified(syntax.group(1)), f"# syntax={syntax.group(1)}: fully qualified image name")
    for base, _ in stages:
        image = base.split()[0]
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: global_args.get(m.group(1), m.group(0)), image)
        check("$" not in image, f"FROM {image}: every ARG has a default")
        check(image == "scratch" or (":" in image.split("/")[-1] and not image.endswith(":latest")),
              f"FROM {image}: pinned tag, not latest")
        # Podman and Buildah refuse short names when registries.conf has no search registry
        # (Debian's default); Docker alone would expand them.
        check(image == "scratch" or fully_qualified(image),
              f"FROM {image}: fully qualified (registry/namespace/name), as Podman and Buildah need")
        if "/rust:" in image or image.startswith("rust:"):
            check(re.fullmatch(r"docker\.io/library/rust:\d+\.\d+(\.\d+)?-(slim-)?(bookworm|trixie)", image)
                  is not None, f"builder {image}: official Debian-based Rust image pinned by version")
    if not stages:
        return
    builder_text = " ".join(a for _, a in stages[0][1])
    final_base, final = stages[-1]
    check(final_base.split()[0] == "scratch" or "distroless/static" in final_base,
          f"final stage is scratch or distroless static ({final_base})")
    final_map: dict[str, list[str]] = {}
    for instruction, args in final:
        final_map.setdefault(instruction, []).append(args)
    user = (final_map.get("USER") or [""])[-1]
    check(re.fullmatch(r"[1-9]\d*(:\d+)?", user) is not None, f"final USER is a numeric non-root id ({user!r})")
    check(final_map.get("ENTRYPOINT") == ['["/opsgenie-port"]'], 'ENTRYPOINT ["/opsgenie-port"]')
    check(final_map.get("CMD") == ['["serve"]'], 'CMD ["serve"]')
    check("8000" in " ".join(final_map.get("EXPOSE", [])), "EXPOSE 8000")
    check(not final_map.get("RUN"), "no RUN in the final stage (nothing to run it with)")
    labels = " ".join(final_map.get("LABEL", []))
    for label in ("title", "description", "licenses", "version", "revision"):
        check(f"org.opencontainers.image.{label}=" in labels, f"OCI label org.opencontainers.image.{label}")
    check(any(a.startswith("MAPPINGS=mappings") for i, a in stages[0][1] if i == "ARG"),
          "builder: ARG MAPPINGS=mappings")
    check(re.search(r"OPSGENIE_PORT_MAPPINGS=\$\{?MAPPINGS\}?", builder_text) is not None,
          "builder: OPSGENIE_PORT_MAPPINGS=${MAPPINGS}")
    check("ca-certificates.crt" in builder_text and any("--from=builder" in a for a in final_map.get("COPY", [])),
          "CA certificates staged and copied into the final stage")
    uid = user.split(":")[0]
    check(re.search(rf":x:{uid}:{uid}:", builder_text) is not None, "/etc/passwd names the USER's uid")
    check("openssl" not in text.lower() or "no openssl" in text.lower(), "no OpenSSL in the build")

    docker = build_settings(text)
    script = build_settings((ROOT / "scripts" / "container-build.sh").read_text())
    check("+crt-static" in docker.get("RUSTFLAGS", ""), "RUSTFLAGS has +crt-static")
    check("--target" in docker.get("cargo build", "") and "--release" in docker.get("cargo build", ""),
          "cargo build --release --target (RUSTFLAGS stay off build scripts)")
    for name in ("RUSTFLAGS", "CARGO_PROFILE_RELEASE_STRIP", "cargo build"):
        check(docker.get(name) is not None and docker.get(name) == script.get(name),
              f"same {name} in Dockerfile and container-build.sh ({docker.get(name)!r} vs {script.get(name)!r})")

    # scripts/image-build.sh builds the final stage verbatim from the files container-build.sh
    # stages, so that stage may take nothing from the builder but /out/.
    try:
        dockerfile_config.final_stage_text(text)
        check(True, "final stage: only COPY --from=builder /out/ / (scripts/image-build.sh can build it)")
    except ValueError as error:
        check(False, f"final stage cannot be built by scripts/image-build.sh: {error}")

    ignore = DEPLOY / "Dockerfile.dockerignore"
    if check(ignore.is_file(), "deploy/Dockerfile.dockerignore exists"):
        entries = ignore.read_text().split()
        check("target" in entries and ".git" in entries, "build context excludes target and .git")

    hadolint = shutil.which("hadolint")
    if hadolint:
        result = subprocess.run([hadolint, str(DEPLOY / "Dockerfile")], capture_output=True, text=True)
        print((result.stdout + result.stderr).strip() or "hadolint: no findings")
        check(result.returncode == 0, "hadolint reports nothing")
    else:
        warn("hadolint not installed: Dockerfile lint skipped")


def check_readme_mirror() -> None:
    section("deploy/README.md mirrors the README's Container and Kubernetes section")
    readme = (ROOT / "README.md").read_text()
    start = readme.find("### Container and Kubernetes")
    end = readme.find("\n## ", start)
    if not check(start >= 0 and end > start, "README.md has a ### Container and Kubernetes section"):
        return
    # One heading level up (#### Image -> ### Image); comment lines in code blocks have one #.
    mirrored = re.sub(r"^#(#+ )", r"\1", readme[start:end], flags=re.MULTILINE).strip()
    check(mirrored == (DEPLOY / "README.md").read_text().strip(),
          "deploy/README.md = README.md's section, one heading level up")


def main() -> int:
    parsed = check_yaml_files()
    values = (parsed.get(CHART / "values.yaml") or [{}])[0] or {}
    chart = (parsed.get(CHART / "Chart.yaml") or [{}])[0] or {}
    check_values(values, chart)
    check_dockerfile()
    check_argocd(parsed, values)
    check_port_ocean_values(parsed)
    check_readme_mirror()
    accepted, routes = accepted_env(), served_routes()
    if check_binary_surface(accepted, routes):
        check_scheduled_examples(parsed, values, chart, accepted, documented_env())
        check_port_ocean_probes(parsed, routes)
    helm = helm_module()
    if helm is None:
        warn("helm_python not installed: chart lint and render skipped")
        check_cronjob_template()
    else:
        try:
            check_helm(helm, values, parsed)
        except Exception as error:  # noqa: BLE001 - report, then fail
            check(False, f"chart rendering: {type(error).__name__}: {error}")
    print(f"check-deploy: {passed} passed, {len(failures)} failed")
    for failure in failures:
        print(f"  failed: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
