# verbund — the two commands a new user types: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run demo test test-fast lint bench clean server deploy workers stop scaleout-bench prefect-yaml

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create .venv with the package and the dev tools

DASHBOARD_PORT ?= 8000

run: install ## the main job: local Prefect server (with its UI), the demo against it, status, then the dashboard until interrupted
	$(BIN)/verbund serve --demo --demo-logins --host 127.0.0.1 --port $(DASHBOARD_PORT)

demo: install ## the demo and the status only; exits
	$(BIN)/verbund demo
	$(BIN)/verbund status

# pytest-xdist: one worker per core (TEST_WORKERS=0: one process); the demo's tests share one worker
TEST_WORKERS ?= auto
XDIST = -n $(TEST_WORKERS) --dist loadgroup

test: install ## the whole test suite (what CI runs)
	$(BIN)/python -m pytest $(XDIST)

test-fast: install ## everything but the long tests (marker slow)
	$(BIN)/python -m pytest $(XDIST) -m "not slow"

lint: install ## ruff, mypy strict, import contracts
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: install ## benchmarks (figures on the last line of each)
	for b in stages reminders import report dashboard forecast; do echo "== $$b"; $(BIN)/python benchmarks/$$b.py | tail -n 1 || exit 1; done

# --- scale-out: a Prefect server (PostgreSQL via PREFECT_SERVER_DATABASE_CONNECTION_URL), the
# process work pool "verbund", the deployments and N process workers. See docs/operations.md.
PORT ?= 4200
N ?= 2
deploy workers: export PREFECT_API_URL ?= http://127.0.0.1:$(PORT)/api

server: install ## start the Prefect server in the background (state in .verbund-stack/)
	$(BIN)/python -m verbund.deployments.stack server --port $(PORT)

deploy: install ## create the work pool, the mail rate limit and every deployment
	$(BIN)/python -m verbund.deployments.stack deploy

prefect-yaml: install ## regenerate prefect.yaml (the same deployments as `make deploy`, for `prefect deploy --all`)
	$(BIN)/python -m verbund.deployments.prefect_yaml

workers: install ## start N process workers on the pool (N=2)
	$(BIN)/python -m verbund.deployments.stack workers --count $(N) --port $(PORT)

stop: ## stop the workers and the server this stack started
	$(BIN)/python -m verbund.deployments.stack stop

scaleout-bench: install ## benchmarks/scaleout.py (needs PostgreSQL)
	$(BIN)/python benchmarks/scaleout.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
