"""The README documents every setting, and .ci/run runs the README's test command."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import BaseModel

from service.core.settings import Settings
from tests.support.paths import REPO

README = (REPO / "README.md").read_text()


def variables(model: type[BaseModel], prefix: str = "DOCQA_") -> Iterator[str]:
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from variables(annotation, f"{prefix}{name.upper()}__")
        else:
            assert field.description, f"{prefix}{name.upper()} has no description"
            yield f"{prefix}{name.upper()}"


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `(DOCQA_[A-Z0-9_]+)` \|", README, flags=re.MULTILINE))
    expected = set(variables(Settings))
    assert expected - documented == set(), "settings missing from the README table"
    assert documented - expected == set(), "README documents settings that do not exist"


def test_ci_runs_the_readme_test_command() -> None:
    commands = [line.strip() for line in README.splitlines() if "pytest" in line and not line.startswith("#")]
    ci = (REPO / ".ci" / "run").read_text()
    assert any(command in ci for command in commands), commands
