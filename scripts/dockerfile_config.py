"""Reads deploy/Dockerfile the way a builder does, for scripts/check_deploy.py and
scripts/image-build.sh: instructions, stages, and the image configuration the final stage
declares (user, entrypoint, cmd, exposed ports, labels, env, working directory).

    python3 scripts/dockerfile_config.py final-stage deploy/Dockerfile > Containerfile
    python3 scripts/dockerfile_config.py expected-config deploy/Dockerfile --build-arg VERSION=0.1.0 ...
    python3 scripts/dockerfile_config.py compare-config deploy/Dockerfile inspect.json --build-arg ...

Standard library only: image-build.sh runs it with the system python3.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path
from typing import Any

# The only way the final stage takes files from the builder stage. image-build.sh replaces it with
# a COPY of the files scripts/container-build.sh staged, so the rest of the stage runs verbatim.
BUILDER_COPY = "COPY --from=builder /out/ /"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = pending + stripped
        pending = ""
        word, _, rest = full.partition(" ")
        found.append((word.upper(), rest.strip()))
    return found


def stages(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(FROM arguments, instructions of that stage) per stage."""
    found: list[tuple[str, list[tuple[str, str]]]] = []
    for instruction, args in instructions(text):
        if instruction == "FROM":
            found.append((args, []))
        elif found:
            found[-1][1].append((instruction, args))
    return found


def final_stage_text(text: str) -> str:
    """The final stage's lines, from its FROM on, with the builder COPY pointing at the context."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"\s*FROM\s", line, re.IGNORECASE)]
    if not starts:
        raise ValueError("no FROM instruction")
    stage = lines[starts[-1]:]
    copies = [i for i, line in enumerate(stage) if line.strip() == BUILDER_COPY]
    if len(copies) != 1:
        raise ValueError(f"the final stage must contain `{BUILDER_COPY}` exactly once")
    others = [a for i, a in instructions("\n".join(stage)) if i in ("RUN", "ADD")
              or (i == "COPY" and "--from=" in a and a != BUILDER_COPY[len("COPY "):])]
    if others:
        raise ValueError(f"the final stage does more than copy the builder's files: {others}")
    stage[copies[0]] = "COPY . /"
    return "\n".join(stage) + "\n"


def _substitute(value: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args.get(m.group(1) or m.group(2), ""), value)


def _pairs(arguments: str, args: dict[str, str]) -> dict[str, str]:
    """`k=v k2="v 2"` (LABEL, ENV); the legacy `ENV k v` form too."""
    words = shlex.split(arguments)
    if words and "=" not in words[0]:
        return {words[0]: _substitute(" ".join(words[1:]), args)}
    pairs = {}
    for word in words:
        key, _, value = word.partition("=")
        pairs[key] = _substitute(value, args)
    return pairs


def _command(arguments: str) -> list[str]:
    """Exec form (JSON) as is; shell form the way builders wrap it."""
    if arguments.startswith("["):
        return json.loads(arguments)
    return ["/bin/sh", "-c", arguments]


def expected_config(text: str, build_args: dict[str, str]) -> dict[str, Any]:
    """The image configuration the final stage declares, in the OCI config's field names."""
    base, final = stages(text)[-1]
    args: dict[str, str] = {}
    config: dict[str, Any] = {"User": "", "Entrypoint": None, "Cmd": None, "ExposedPorts": {},
                              "Labels": {}, "Env": {}, "WorkingDir": ""}
    for instruction, arguments in final:
        if instruction == "ARG":
            name, has_default, default = arguments.partition("=")
            args[name] = build_args.get(name, default if has_default else "")
        elif instruction == "LABEL":
            config["Labels"].update(_pairs(arguments, args))
        elif instruction == "ENV":
            env = _pairs(arguments, {**args, **config["Env"]})
            config["Env"].update(env)
        elif instruction == "USER":
            config["User"] = _substitute(arguments, args)
        elif instruction == "WORKDIR":
            config["WorkingDir"] = _substitute(arguments, args)
        elif instruction == "EXPOSE":
            for port in arguments.split():
                config["ExposedPorts"][port if "/" in port else f"{port}/tcp"] = {}
        elif instruction == "ENTRYPOINT":
            config["Entrypoint"] = _command(arguments)
        elif instruction == "CMD":
            config["Cmd"] = _command(arguments)
    config["Base"] = base.split()[0]
    return config


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Differences between the Dockerfile's configuration and an OCI image config (`config`)."""
    problems = []
    for field in ("User", "Entrypoint", "Cmd", "WorkingDir"):
        got = actual.get(field) or ("" if field in ("User", "WorkingDir") else None)
        if got != expected[field]:
            problems.append(f"{field}: Dockerfile {expected[field]!r}, image {got!r}")
    if set(actual.get("ExposedPorts") or {}) != set(expected["ExposedPorts"]):
        problems.append(f"ExposedPorts: Dockerfile {sorted(expected['ExposedPorts'])}, "
                        f"image {sorted(actual.get('ExposedPorts') or {})}")
    if (actual.get("Labels") or {}) != expected["Labels"]:
        problems.append(f"Labels: Dockerfile {expected['Labels']}, image {actual.get('Labels')}")
    env = dict(item.partition("=")[::2] for item in actual.get("Env") or [])
    # Builders may add a default PATH to an image without one; every declared variable must match.
    extra = set(env) - set(expected["Env"]) - {"PATH"}
    if extra or any(env.get(k) != v for k, v in expected["Env"].items()):
        problems.append(f"Env: Dockerfile {expected['Env']}, image {env}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["final-stage", "expected-config", "compare-config"])
    parser.add_argument("dockerfile", type=Path)
    parser.add_argument("inspect", type=Path, nargs="?", help="compare-config: `buildah inspect --type image` JSON")
    parser.add_argument("--build-arg", action="append", default=[], metavar="NAME=VALUE")
    options = parser.parse_args()
    text = options.dockerfile.read_text()
    build_args = dict(arg.partition("=")[::2] for arg in options.build_arg)
    if options.action == "final-stage":
        sys.stdout.write(final_stage_text(text))
        return 0
    expected = expected_config(text, build_args)
    if options.action == "expected-config":
        json.dump(expected, sys.stdout, indent=2)
        print()
        return 0
    if options.inspect is None:
        parser.error("compare-config needs the inspect JSON")
    inspect = json.loads(options.inspect.read_text())
    problems = compare(expected, inspect.get("OCIv1", {}).get("config", {}))
    for problem in problems:
        print(f"differs: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
