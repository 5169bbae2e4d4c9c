"""The architecture is a test: the layer rules in pyproject.toml's ``[tool.importlinter]``, run by import-linter.

core <- backends (each implements a seam of core) and engine <- api, cli; ingest sees only core, and
``service.components`` is the one module that picks backends. A rule that is broken on purpose is listed in its
contract's ``ignore_imports``; that list only shrinks.
"""

from __future__ import annotations

import tomllib

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

from tests.support.paths import REPO


def test_the_import_rules_hold() -> None:
    status = lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True, no_logo=True)
    assert status == EXIT_STATUS_SUCCESS, "a layer rule is broken: see import-linter's report above"


def test_every_layer_has_a_rule() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    sources = {source for contract in config["contracts"] for source in contract["source_modules"]}
    assert {"service.core", "service.backends", "service.engine", "service.api", "service.cli", "ingest"} <= sources


def test_no_rule_is_broken_on_purpose() -> None:
    """The ignore lists that listed the violations of the old tree are empty, and stay so."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert [contract.get("ignore_imports", []) for contract in config["contracts"]] == [[]] * len(config["contracts"])
