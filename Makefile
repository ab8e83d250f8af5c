# Two entry points a new machine needs: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: setup run test lint native-asan system-deps web-deps web-build

setup: $(STAMP) web-build

# setup.py and the C source too: an editable install builds sfu/native in place.
$(STAMP): pyproject.toml setup.py sfu/native/_fanout.c
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

web-deps:
	@if [ -f package-lock.json ] && ! [ node_modules/.package-lock.json -nt package-lock.json ]; then \
	  npm ci --no-audit --no-fund; \
	fi

# One minified, hashed bundle per page with .br/.gz siblings (web/static/dist, not in git).
web-build: web-deps
	node web/build.mjs

system-deps:
	bash scripts/system-deps.sh

run: setup
	$(VENV)/bin/imr-live serve

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The native fan-out built with AddressSanitizer and UBSan, fuzzed (about a minute).
native-asan: setup
	IMR_NATIVE_FUZZ_RUNS=20000 PYTHON=$(abspath $(PY)) bash sfu/native/asan.sh

test: system-deps setup lint native-asan
	$(VENV)/bin/pytest -q
