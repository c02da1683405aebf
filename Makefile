# The two commands of the README. Both do every set-up step themselves on a fresh machine
# with only python3 (3.11+): a virtual environment in .venv, the project and its dev extra.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
USERS ?= 2000
DAYS ?= 14

.PHONY: redis-server java demo test lint

$(BIN)/profiles: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

demo: $(BIN)/profiles
	$(BIN)/profiles sample-data generate -p config --users $(USERS) --days $(DAYS)
	$(BIN)/python -m profiles_pipeline.activations.receiver --out config/data/webhook_received.jsonl -- $(BIN)/profiles run -p config

test: $(BIN)/profiles redis-server java
	$(BIN)/python -m pytest -n 2 -q -p no:cacheprovider

# The activation tests start a real redis-server on a loopback port: installed through apt when missing.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || (apt-get install -y -q redis-server >/dev/null 2>&1 \
	  || (apt-get update -q >/dev/null && apt-get install -y -q redis-server >/dev/null))

# The Databricks adapter's tests run a real local Spark (pyspark), which needs a Java runtime.
java:
	@command -v java >/dev/null 2>&1 || (apt-get install -y -q default-jre-headless >/dev/null 2>&1 \
	  || (apt-get update -q >/dev/null && apt-get install -y -q default-jre-headless >/dev/null))

lint: $(BIN)/profiles
	$(BIN)/ruff check profiles_pipeline profiles_pipeline_tests bench
