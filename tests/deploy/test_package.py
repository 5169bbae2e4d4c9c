"""The wheel carries what docqa reads at run time: the prompt templates and the web UI's files.

The wheel is built from a copy of the sources (so the checkout gets no ``build/``), installed without its
dependencies into a scratch virtual environment, and exercised from a folder outside the checkout: the
prompts load and validate, and the app serves the web page and every static file, all from site-packages.

The scratch environment reaches the dependencies through a ``.pth`` line naming this environment's
site-packages. ``venv --system-site-packages`` cannot do it: run from inside a virtual environment it links
the *base* interpreter's site-packages, not this one's. A bare path line in a ``.pth`` file also keeps this
environment's own ``.pth`` files (among them the editable install's finder, which maps ``service`` to the
checkout) from running there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "service" / "web"
PROMPTS = REPO / "prompts"
SOURCES = ("pyproject.toml", "README.md", "service", "ingest", "prompts")
"""What setuptools reads to build the wheel (README.md is the package's long description)."""

PROBE = r"""
import json, sys
from pathlib import Path

from fastapi.testclient import TestClient

import prompts, service
from service.api.app import create_app
from service.core.settings import Settings
from service.engine.answering.prompts import load_prompts

settings = Settings(data_dir=Path(sys.argv[1]))
loaded = load_prompts(settings.prompts_dir)
report = {
    "site_packages": sorted(str(Path(p).resolve()) for p in sys.path if p.endswith("site-packages")),
    "service": str(Path(service.__file__).resolve()),
    "prompts_package": str(Path(prompts.__file__).resolve()),
    "prompts_dir": str(settings.prompts_dir.resolve()),
    "prompts_version": loaded.version,
    "system": loaded.render_system(),
    "responses": {},
}
with TestClient(create_app(settings)) as client:
    for path in ["/", *(f"/static/{name}" for name in sys.argv[2:])]:
        response = client.get(path)
        report["responses"][path] = {
            "status": response.status_code,
            "type": response.headers.get("content-type", ""),
            "body": response.content.decode("utf-8"),
        }
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docqa's wheel, built offline from a copy of the sources."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist)]
    result = subprocess.run([*build, str(source)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (built,) = dist.glob("docqa-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The probe's report, run with the wheel installed in a scratch venv, from outside the checkout."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    scratch_site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (scratch_site / "docqa_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q"]
    # Without PYTHONPATH: with the checkout on it, pip finds docqa "already installed" and installs nothing.
    clean = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    result = subprocess.run([*install, str(wheel)], capture_output=True, text=True, timeout=300, env=clean)
    assert result.returncode == 0, result.stderr

    outside = tmp_path_factory.mktemp("elsewhere")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DOCQA_", "PYTHON"))}
    env["HF_HUB_OFFLINE"] = "1"
    web_files = sorted(path.name for path in WEB.iterdir() if path.is_file())
    probe = [python, "-c", PROBE, str(outside / "data"), *web_files]
    result = subprocess.run(probe, capture_output=True, text=True, cwd=outside, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    report["scratch_site"] = str(scratch_site.resolve())
    return report


def test_the_code_runs_from_the_wheel_not_the_checkout(installed: dict[str, Any]) -> None:
    scratch_site = Path(installed["scratch_site"])
    assert Path(installed["service"]).is_relative_to(scratch_site), installed["service"]
    assert not Path(installed["service"]).is_relative_to(REPO)


def test_the_installed_prompts_load_and_validate(installed: dict[str, Any]) -> None:
    scratch_site = Path(installed["scratch_site"])
    assert Path(installed["prompts_package"]).is_relative_to(scratch_site)
    assert Path(installed["prompts_dir"]) == scratch_site / "prompts"
    # The same templates as the checkout's, filled in as docqa fills them.
    from service.engine.answering.prompts import REFUSAL_SENTENCE, load_prompts

    assert installed["prompts_version"] == load_prompts(PROMPTS).version
    assert REFUSAL_SENTENCE in installed["system"]


def test_the_installed_app_serves_the_web_ui_and_every_static_file(installed: dict[str, Any]) -> None:
    responses = installed["responses"]
    page = responses["/"]
    assert page["status"] == 200 and page["type"].startswith("text/html")
    assert page["body"] == (WEB / "index.html").read_text(encoding="utf-8")
    static = {path for path in responses if path != "/"}
    assert static == {f"/static/{path.name}" for path in WEB.iterdir() if path.is_file()}
    for path in sorted(static):
        assert responses[path]["status"] == 200, path
        assert responses[path]["body"] == (WEB / path.removeprefix("/static/")).read_text(encoding="utf-8"), path
