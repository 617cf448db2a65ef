# One venv, four verbs. `make run` and `make test` set everything up themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  := torch==2.13.0
PORT   ?= 8501

.PHONY: run test lint format bench venv browser slurm clean

venv: $(STAMP)

# torch first: the pinned CPU wheel lies on this disk, while a bare `torch`
# requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(TORCH)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# The app starts at once; the demo seeds in the background (its progress shows in the
# app and in $CRUXLAB_HOME/demo.log) and finishes whatever an earlier start left undone.
run: venv
	$(BIN)/cruxlab demo --background
	$(BIN)/streamlit run app/streamlit_app.py --server.address localhost \
		--server.port $(PORT) --server.headless true --browser.gatherUsageStats false

test: venv browser slurm
	$(BIN)/python -m pytest -q

# The browser tests drive the app in Debian's Chromium (playwright uses it; it never
# downloads a browser), and sign in through an OIDC provider that runs on Node.js (the
# tests install the provider itself from npm into ~/.cache). Both are installed when
# missing and we are root, as in CI; otherwise those tests are skipped with a message.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
		>/dev/null; } || echo "Chromium is not installed: browser tests will be skipped."
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm \
		>/dev/null; } || echo "Node.js/npm are not installed: the sign-in test will be skipped."

# The cluster tests submit jobs to a real single-node SLURM that tests/cluster/slurm.py
# starts and stops (as root). Debian's slurm-wlm and munge are installed when missing
# and we are root, as in CI; otherwise those tests are skipped with a message (and
# fail under CI=true).
slurm:
	@{ command -v slurmctld && command -v slurmd && command -v munged; } >/dev/null 2>&1 || \
		{ [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null; } || \
		echo "SLURM is not installed: cluster tests will be skipped."

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: venv
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
