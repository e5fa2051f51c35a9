# SAO: two commands do all set-up.
#   make demo   create the environment, migrate, build the demo province, serve on http://127.0.0.1:8000
#   make test   create the environment and run the whole test suite
#   make demo PORT=8001 serves on another port; make bench BENCH=ingest runs one benchmark
PYTHON ?= python3.11
PORT ?= 8000
BENCH ?= ingest compute reports
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test env serve lint bench clean

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

env: $(STAMP)

demo: $(STAMP)
	$(BIN)/sao migrate --noinput
	$(BIN)/sao demo
	$(BIN)/sao serve --port $(PORT)

serve: $(STAMP)
	$(BIN)/sao serve --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	for name in $(BENCH); do $(BIN)/sao bench $$name || exit 1; done

clean:
	rm -rf $(VENV) var
