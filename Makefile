PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test docs bench lint venv clean

$(STAMP): pyproject.toml constraints.txt build-constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools
	$(PY) -m pip install -q -c constraints.txt torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt --build-constraint build-constraints.txt -e ".[test,docs]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) examples/digits.py

# the committed pictures of docs/img, from full runs of two examples (under a minute of CPU)
.PHONY: images
images: $(STAMP)
	$(PY) examples/cnn_digits.py --images docs/img
	$(PY) examples/lr_finder_one_cycle.py --images docs/img

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile tests

docs: $(STAMP)
	# NO_MKDOCS_2_WARNING: mkdocs-material's banner about MkDocs 2.0 (a notice, not a build warning)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

bench: $(STAMP)
	@for f in bench/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

lint: $(STAMP)
	$(VENV)/bin/ruff check ignite tests bench examples
	$(VENV)/bin/ruff format --check ignite tests bench examples
	$(PY) tools/mypy_check.py

clean:
	rm -rf $(VENV) build site *.egg-info
