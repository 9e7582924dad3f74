"""The lock files agree with pyproject.toml: every requirement is pinned, within its range.

``make install``, CI and the Docker image install the pins of ``requirements/*.txt``, not
the ranges of pyproject.toml; a range changed without ``make lock`` fails here instead of
leaving the pins behind unnoticed.
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {canonicalize_name(name): version for name, version in PIN.findall(text)}


def requirements(*, dev: bool) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + (project["optional-dependencies"]["dev"] if dev else [])
    return [Requirement(line) for line in listed]


@pytest.mark.parametrize(("lock", "dev"), [("production.txt", False), ("development.txt", True)])
def test_every_requirement_is_pinned_within_its_range(lock, dev):
    pinned = pins(lock)
    problems = []
    for requirement in requirements(dev=dev):
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name} is not pinned in {lock}")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}=={version} is outside {requirement.specifier}")
    assert not problems, "run `make lock`:\n" + "\n".join(problems)


def test_the_production_lock_holds_no_development_tool():
    runtime = {canonicalize_name(r.name) for r in requirements(dev=False)}
    tools = {canonicalize_name(r.name) for r in requirements(dev=True)} - runtime
    assert not tools & set(pins("production.txt"))


def test_every_pin_carries_hashes():
    for lock in ("production.txt", "development.txt"):
        text = (ROOT / "requirements" / lock).read_text()
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[-1])
        unhashed = [
            entry.split("==")[0] for entry in entries if "==" in entry and "--hash" not in entry
        ]
        assert not unhashed, f"{lock}: no hash for {unhashed}"
