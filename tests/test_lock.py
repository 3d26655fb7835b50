"""The lock files agree with pyproject.toml: ``make lock`` was run after its last change."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text(encoding="utf-8")
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def _pyproject() -> dict[str, list[Requirement]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {
        "runtime": [Requirement(r) for r in data["project"]["dependencies"]],
        "dev": [Requirement(r) for r in data["project"]["optional-dependencies"]["dev"]],
        "build": [Requirement(r) for r in data["build-system"]["requires"]],
    }


@pytest.mark.parametrize(
    ("lock", "groups"),
    [
        ("requirements.lock", ["runtime", "build"]),
        ("requirements-dev.lock", ["runtime", "dev", "build"]),
    ],
)
def test_every_requirement_is_pinned_inside_its_range(lock: str, groups: list[str]) -> None:
    pins = _pins(lock)
    required = [req for group in groups for req in _pyproject()[group]]
    wrong = {}
    for req in required:
        version = pins.get(canonicalize_name(req.name))
        if version is None or not req.specifier.contains(version, prereleases=True):
            wrong[req.name] = version
    assert wrong == {}, f"run `make lock`: {lock} misses or breaks these ranges: {wrong}"


def test_the_runtime_lock_is_the_dev_lock_without_the_tools() -> None:
    runtime, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime
    tools = {canonicalize_name(req.name) for req in _pyproject()["dev"]}
    assert tools & runtime.keys() == set()
