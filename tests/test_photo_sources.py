"""The registry photo catalogue (no package needs to be installed for these)."""

import os
import re

import pytest

from kfreqgan.data import photo_sources


def test_catalogue_entries_are_complete_and_unique():
    keys = [photo.key for photo in photo_sources.CATALOGUE]
    assert len(set(keys)) == len(keys) >= 30
    for photo in photo_sources.CATALOGUE:
        assert photo.package in photo_sources.PACKAGES
        assert photo.path.startswith("/usr/share/") and photo.path.lower().endswith((".jpg", ".png"))
        assert photo.author and photo.version
        assert re.fullmatch(r"(GPL-2\.0-or-later|LGPL-3\.0|CC-BY(-SA)?-[34]\.0|CC0-1\.0)", photo.licence), photo.licence
        assert photo.scene in photo_sources.SCENES
    assert {photo.scene for photo in photo_sources.CATALOGUE} == set(photo_sources.SCENES)


def test_makefile_installs_every_package():
    makefile = open(os.path.join(os.path.dirname(__file__), "..", "Makefile")).read()
    listed = re.search(r"^DEHAZER_PHOTO_PACKAGES := (.*)$", makefile, re.M).group(1).split()
    assert sorted(listed) == sorted(photo_sources.PACKAGES)
    assert photo_sources.INSTALL_COMMAND.endswith(" ".join(photo_sources.PACKAGES))


def test_missing_package_names_the_install_command(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"apt-get install -y --no-install-recommends mate-backgrounds.*make dehazer-data"):
        photo_sources.installed_photos(["mate-backgrounds"], root=str(tmp_path))
    with pytest.raises(ValueError, match="Unknown photo source"):
        photo_sources.installed_photos(["not-a-package"])


def _fake_install(root, package):
    for photo in photo_sources.CATALOGUE:
        if photo.package == package:
            path = os.path.join(root, photo.path.lstrip("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "wb").close()


def test_installed_photos_finds_the_files(tmp_path):
    _fake_install(str(tmp_path), "lomiri-wallpapers-20.04")
    photos = photo_sources.installed_photos("lomiri-wallpapers-20.04", root=str(tmp_path))
    assert [photo.key for photo in photos] == ["lomiri-wallpapers-20.04/Kleiber_by_Lukas_Baubkus"]
    assert photos[0].path.startswith(str(tmp_path)) and os.path.isfile(photos[0].path)


def test_split_is_deterministic_disjoint_and_covers_every_scene():
    split = photo_sources.split_photos(photo_sources.CATALOGUE)
    again = photo_sources.split_photos(list(reversed(photo_sources.CATALOGUE)))
    train = {photo.key for photo in split["train"]}
    heldout = {photo.key for photo in split["heldout"]}
    assert train.isdisjoint(heldout) and len(train) + len(heldout) == len(photo_sources.CATALOGUE)
    assert heldout == {photo.key for photo in again["heldout"]}
    assert {photo.scene for photo in split["heldout"]} == set(photo_sources.SCENES)
    assert 0.15 < len(heldout) / len(photo_sources.CATALOGUE) < 0.3
    # A photo's split does not depend on photos of other scenes.
    outdoor = [photo for photo in photo_sources.CATALOGUE if photo.scene == "outdoor"]
    alone = {photo.key for photo in photo_sources.split_photos(outdoor)["heldout"]}
    assert alone == {photo.key for photo in split["heldout"] if photo.scene == "outdoor"}
    with pytest.raises(ValueError, match="heldout_fraction"):
        photo_sources.split_photos(photo_sources.CATALOGUE, heldout_fraction=1.0)
