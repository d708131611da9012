# The two commands: `make demo` and `make test`. Both set up everything they need.
# `make test` runs everything (CI calls it); `make test-fast` is the lane to run all day: no slow, PostgreSQL or
# browser tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)
APT_PACKAGES := postgresql chromium chromium-driver poppler-utils graphviz libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core

.PHONY: demo test test-fast lint typecheck system-deps venv bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[all,test,ml]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

# Debian packages: PostgreSQL (store tests), Chromium (browser tests), poppler (PDF pages), Graphviz (safety-case
# diagrams), pango (WeasyPrint). Installed only when missing.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: system-deps $(STAMP)
	$(BIN)/scalegate demo

test: system-deps $(STAMP)
	$(BIN)/python -m pytest -q

FAST := not slow and not postgres and not browser

test-fast: system-deps $(STAMP)
	$(BIN)/python -m pytest -q -m "$(FAST)"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src/scalegate

typecheck: lint

bench: system-deps $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .scalegate demo-workspace .pytest_cache
