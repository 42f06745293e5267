# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
PREFIX ?= /usr/local
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: all venv test lint demo bench soak man install install-postfix-example clean

all: test

$(STAMP): setup.cfg pyproject.toml $(shell find mailtools -name '*.py')
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check '.[test]'
	# setuptools is not needed to run (pip builds in an isolated environment); its .pth file
	# costs every command ~1 ms of start-up, and mq-send and the pipe have a budget.
	$(BIN)/python -m pip uninstall --quiet --yes setuptools
	touch $@

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check mailtools bin tests bench scripts

# Everything CI runs: lint, unit and CLI tests, the man pages, the real-Postfix e2e suite.
# scripts/test-deps first installs the real servers and tools the tests start (as root).
test: $(STAMP)
	scripts/test-deps
	$(BIN)/ruff check mailtools bin tests
	$(BIN)/mypy mailtools
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q -p no:cacheprovider

# The whole outbound and bounce path on an embedded default: ./demo/
demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/demo.py

# Static types of the library alone (make test runs it too).
typecheck: $(STAMP)
	$(BIN)/mypy mailtools

# Measurements (not tests): prints a table, writes bench/results.json.
bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/run.py

# Long crash/fuzz runs, kept out of make test.
soak: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q -p no:cacheprovider -m slow

# Manual pages in build/man/man1 and man5, generated from the click commands and the
# config module (the same source as --help); never committed.
man: $(STAMP)
	rm -rf build/man
	$(BIN)/python -m mailtools.cli.manpages build/man

# The commands (a venv under $(PREFIX)/lib/mailtools, linked into $(PREFIX)/bin) and their
# manual pages ($(PREFIX)/share/man/man1, man5), as root: make install PREFIX=/usr/local
install:
	scripts/install-mailtools --prefix $(PREFIX)

# The administrator's set-up (as root): service user, spool, alias map, Postfix's
# alias_maps and recipient_delimiter. SETUP_ARGS passes options (--spool, --prefix...).
install-postfix-example:
	scripts/mailtools-setup --postconf $(SETUP_ARGS)

clean:
	rm -rf $(VENV) demo build *.egg-info
