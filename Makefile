# The two commands of the README: `make chat` and `make test`.
# Installs take the exact versions in constraints.txt; `make lock` refreshes it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --constraint constraints.txt

.PHONY: chat test install install-test lint lock console-screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

install: $(BIN)/python
	$(PIP) -e .

install-test: $(BIN)/python
	$(PIP) -e '.[test]'

chat: install
	$(BIN)/padome chat

test: install-test
	$(BIN)/ruff check .
	$(BIN)/pytest -q

# The README's pictures of the staff console: the browser tests save every page they check,
# and the chosen ones are made small into docs/console/.
console-screenshots: install-test
	rm -rf .console-screenshots
	CONSOLE_SCREENSHOTS=.console-screenshots $(BIN)/pytest -q tests/test_staff_console.py \
	  tests/test_console_surveys.py tests/test_console_broadcasts.py \
	  tests/test_console_nominations.py tests/test_console_meetings.py
	$(BIN)/python tests/readme_screenshots.py .console-screenshots docs/console

# The newest releases that pyproject.toml allows, installed in a scratch environment and
# written down as the new constraints.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[test]'
	{ sed -n '1,2p' constraints.txt; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable \
	    | grep -viE '^(setuptools|wheel|padome)=='; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .lock-venv
