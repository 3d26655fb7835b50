# The two commands of the README: `make run` and `make test`. Each sets up .venv
# on first use (only Python 3.11+ and make are needed) and then does its job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?= -n 2
# pyproject.toml holds the ranges; the lock files pin every package (with hashes) inside
# them: requirements.lock the runtime (the image, an offline wheelhouse), and
# requirements-dev.lock the same pins plus the test and lint tools (.venv).
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
UV_VERSION ?= 0.13.9
LOCK_ARGS ?=

.PHONY: run test install lock openapi lint format bench clean

# Locked packages only, hash-checked; then the project itself, editable, without
# dependencies and built by the locked setuptools; `pip check` catches a lock that
# no longer satisfies pyproject.toml (run `make lock`).
$(STAMP): pyproject.toml $(DEV_LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

install: $(STAMP)

# Re-resolve both lock files from pyproject.toml (its dependencies, the dev extra and
# its build requirements) for any platform and Python 3.11+, keeping every locked
# version that still fits; `make lock LOCK_ARGS=--upgrade` takes the newest of all.
BUILD_REQUIRES := $(BIN)/python -c "import tomllib; \
	print(*tomllib.load(open('pyproject.toml', 'rb'))['build-system']['requires'], sep='\n')"
UV_COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command 'make lock' $(LOCK_ARGS)

lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BUILD_REQUIRES) | $(UV_COMPILE) pyproject.toml - --extra dev -o $(DEV_LOCK)
	$(BUILD_REQUIRES) | $(UV_COMPILE) pyproject.toml - --constraint $(DEV_LOCK) -o $(LOCK)

run: $(STAMP)
	$(BIN)/redgrid serve --migrate --seed-demo --with-worker

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

openapi: $(STAMP)
	$(BIN)/redgrid openapi --output openapi/openapi.json

lint: $(STAMP)
	$(BIN)/ruff check app tests migrations
	$(BIN)/ruff format --check app tests migrations
	$(BIN)/mypy app

format: $(STAMP)
	$(BIN)/ruff format app tests migrations
	$(BIN)/ruff check --fix app tests migrations

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
