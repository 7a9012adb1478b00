# Two commands that work on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench install install-dev browsers clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# the extras the README's "Use" section shows: the web page (serve) and charts (--format html)
install: $(BIN)/python
	$(BIN)/pip install -q -e ".[web,charts]"

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

install-dev: $(STAMP)

demo: install
	$(BIN)/wheretorun recommend examples/ai-product.yml --format table

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

test: install-dev browsers
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy src
	$(BIN)/python -m pytest

# Browser tests drive Debian's Chromium (never a downloaded browser); installed when missing.
browsers:
	@command -v chromium >/dev/null 2>&1 || (command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1) || \
	  echo "chromium not installed: browser tests will be skipped")

bench: install-dev
	$(BIN)/python -m bench
	$(BIN)/python -m bench.import_bench --records 1000000
	$(BIN)/python -m bench.serving

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
