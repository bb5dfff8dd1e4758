"""Real photographs from registry packages, for training the dehazer.

The nine photos bundled with scikit-image / scikit-learn (`kfreqgan.data
.photos`) are too few and too alike to learn what haze does to a scene.
This catalogue lists photographs that install from Debian bookworm
wallpaper packages (`make dehazer-data` installs them), each with its
package, version, author and licence as recorded in the package's
`/usr/share/doc/<package>/copyright` (Plasma: each wallpaper's
`metadata.json` says LGPLv3 and names the photographer; the package's
copyright file covers all of it as GPL-2+). Every file was looked at: only real photographs are
listed (no drawings, renders or abstract art), and none with visible haze
or fog of its own (a foggy "clean" photo would teach the model to keep
haze): Plasma's "ColdRipple" (a pier in fog) and "DarkestHour" (a lake in
mist) are left out for that reason.

What the catalogue holds and what it lacks: mostly outdoor scenes
(mountains, meadows, a forest path, a lake shore, a storm over a road,
sunsets), close-ups of plants and objects (shallow depth of field), and a
few indoor scenes (a living room with a bottle of wine, ceiling lamps,
a wall clock, paint brushes, a fig on concrete). Missing: real room-scale
indoor scenes with floors and walls in view (RESIDE's ITS is all indoor),
city streets and building facades, night scenes. scikit-image's bundled
`motorcycle` (an indoor studio scene with real stereo depth), `coffee` and
`chelsea` are the closest indoor content; the synthetic depth prior
(`kfreqgan.data.haze.layered_depth`) supplies floor/wall geometry.

Nothing here downloads: a source that is not installed raises
`FileNotFoundError` naming the `apt-get install` command.

    from kfreqgan.data import photo_sources
    split = photo_sources.split_photos(photo_sources.installed_photos())
    photos = [load_image(p.path, max_side=512) for p in split["train"]]   # kfreqgan.data.load_image
"""

import dataclasses
import hashlib
import os


APT_INSTALL = "apt-get install -y --no-install-recommends"


@dataclasses.dataclass(frozen=True)
class Photo:
    """One catalogued photograph.

    Attributes:
        key: a stable, unique name (`<package>/<stem>`); the train/held-out
            split hashes it.
        package: the Debian package that installs the file.
        version: the package version the entry was checked against.
        path: absolute path of the installed file.
        author: the photographer, as the copyright file names them.
        licence: SPDX-style licence of the file.
        scene: `"outdoor"`, `"indoor"` or `"close-up"`.
    """

    key: str
    package: str
    version: str
    path: str
    author: str
    licence: str
    scene: str


_MATE = "/usr/share/backgrounds/mate/nature"
_LOMIRI = "/usr/share/backgrounds"
_PLASMA = "/usr/share/wallpapers"
_PLASMA_FILE = "contents/images/2560x1600.jpg"

# (package, version, path, author, licence, scene)
_CATALOGUE = (
    ("mate-backgrounds", "1.26.0-1", f"{_MATE}/Aqua.jpg", "Charles Barbin", "GPL-2.0-or-later", "close-up"),
    ("mate-backgrounds", "1.26.0-1", f"{_MATE}/Blinds.jpg", "Lennart Poettering", "GPL-2.0-or-later", "close-up"),
    ("mate-backgrounds", "1.26.0-1", f"{_MATE}/Dune.jpg", "Marco Cogoni", "GPL-2.0-or-later", "outdoor"),
    ("mate-backgrounds", "1.26.0-1", f"{_MATE}/FreshFlower.jpg", "Jens Ansorg", "GPL-2.0-or-later", "close-up"),
    ("mate-backgrounds", "1.26.0-1", f"{_MATE}/Garden.jpg", "Charles Barbin", "GPL-2.0-or-later", "close-up"),
    ("mate-backgrounds", "1.26.0-1", f"{_MATE}/GreenMeadow.jpg", "Timothy Schellhase", "GPL-2.0-or-later", "close-up"),
    ("mate-backgrounds", "1.26.0-1", f"{_MATE}/LadyBird.jpg", "Charles Barbin", "GPL-2.0-or-later", "close-up"),
    ("mate-backgrounds", "1.26.0-1", f"{_MATE}/RainDrops.jpg", "blackcombwhistler07", "GPL-2.0-or-later", "close-up"),
    ("mate-backgrounds", "1.26.0-1", f"{_MATE}/Storm.jpg", "Sergey Nazarov", "GPL-2.0-or-later", "outdoor"),
    ("mate-backgrounds", "1.26.0-1", f"{_MATE}/TwoWings.jpg", "Charles Barbin", "GPL-2.0-or-later", "close-up"),
    ("mate-backgrounds", "1.26.0-1", f"{_MATE}/Wood.jpg", "Jean-François Fortin Tam", "GPL-2.0-or-later", "close-up"),
    ("mate-backgrounds", "1.26.0-1", f"{_MATE}/YellowFlower.jpg", "Charles Barbin", "GPL-2.0-or-later", "close-up"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/Bridge_by_Sander_Klootwijk.jpg", "Sander Klootwijk", "CC-BY-SA-4.0", "outdoor"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/Dragonfly_by_Bolly.jpg", "Bolly", "CC-BY-SA-4.0", "outdoor"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/Picture_0B_by_freespace.jpg", "Trevor Freespace", "CC-BY-4.0", "close-up"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/Picture_1A_by_freespace.jpg", "Trevor Freespace", "CC-BY-4.0", "indoor"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/Wine_by_Jakkub_Mede.jpg", "Jakub Mede", "CC-BY-4.0", "indoor"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/aitzgorri_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0", "outdoor"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/free_by_Peter_Nerlich.jpg", "Peter Nerlich", "CC-BY-SA-4.0", "indoor"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/friends_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0", "outdoor"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/greentock_by_Peter_Nerlich.jpg", "Peter Nerlich", "CC-BY-SA-4.0", "indoor"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/life_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0", "outdoor"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/picosdeeuropa_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0", "outdoor"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/seeding_by_Clements_Engelhardt.jpg", "Clemens Engelhardt", "CC0-1.0", "outdoor"),
    ("lomiri-wallpapers-16.04", "20.04.0-2", f"{_LOMIRI}/sunset_by_Aitzol_Berasategi.jpg", "Aitzol Berasategi", "CC-BY-4.0", "outdoor"),
    ("lomiri-wallpapers-20.04", "20.04.0-2", f"{_LOMIRI}/Kleiber_by_Lukas_Baubkus.jpg", "Lukas Baubkus", "CC-BY-SA-3.0", "outdoor"),
    ("plasma-workspace-wallpapers", "4:5.27.5-2", f"{_PLASMA}/BytheWater/{_PLASMA_FILE}", "Maciej Wiklo", "LGPL-3.0", "outdoor"),
    ("plasma-workspace-wallpapers", "4:5.27.5-2", f"{_PLASMA}/ColorfulCups/{_PLASMA_FILE}", "Dmitri Popov", "LGPL-3.0", "close-up"),
    ("plasma-workspace-wallpapers", "4:5.27.5-2", f"{_PLASMA}/EveningGlow/{_PLASMA_FILE}", "Ian Hex", "LGPL-3.0", "outdoor"),
    ("plasma-workspace-wallpapers", "4:5.27.5-2", f"{_PLASMA}/FallenLeaf/{_PLASMA_FILE}", "Martin Klapetek", "LGPL-3.0", "close-up"),
    ("plasma-workspace-wallpapers", "4:5.27.5-2", f"{_PLASMA}/Grey/{_PLASMA_FILE}", "Sigi Sagi", "LGPL-3.0", "outdoor"),
    ("plasma-workspace-wallpapers", "4:5.27.5-2", f"{_PLASMA}/OneStandsOut/{_PLASMA_FILE}", "Risto Saukonpää", "LGPL-3.0", "close-up"),
    ("plasma-workspace-wallpapers", "4:5.27.5-2", f"{_PLASMA}/Path/{_PLASMA_FILE}", "Risto Saukonpää", "LGPL-3.0", "outdoor"),
    ("plasma-workspace-wallpapers", "4:5.27.5-2", f"{_PLASMA}/summer_1am/{_PLASMA_FILE}", "Risto Saukonpää", "LGPL-3.0", "outdoor"),
)

PACKAGES = tuple(dict.fromkeys(entry[0] for entry in _CATALOGUE))
"""The Debian packages the catalogue draws on, in catalogue order."""

INSTALL_COMMAND = f"{APT_INSTALL} {' '.join(PACKAGES)}"
"""The command that installs every source (`make dehazer-data` runs it)."""

SCENES = ("outdoor", "indoor", "close-up")


def _key(package, path):
    parts = path.split("/")
    stem = parts[-4] if package == "plasma-workspace-wallpapers" else os.path.splitext(parts[-1])[0]
    return f"{package}/{stem}"


CATALOGUE = tuple(
    Photo(_key(package, path), package, version, path, author, licence, scene)
    for package, version, path, author, licence, scene in _CATALOGUE
)
"""Every catalogued photo (whether installed or not)."""


def installed_photos(packages=None, root="/"):
    """The catalogued photos of `packages` (default: all), checked on disk.

    Args:
        packages: package names from `PACKAGES`, or None for all.
        root: file-system root the paths are under (for tests).

    Returns:
        A list of `Photo`s in catalogue order, with `path` under `root`.

    Raises:
        ValueError: for an unknown package.
        FileNotFoundError: when a package's files are missing, naming the
            `apt-get install` command (or `make dehazer-data`).
    """
    if packages is None:
        packages = PACKAGES
    if isinstance(packages, str):
        packages = (packages,)
    unknown = [name for name in packages if name not in PACKAGES]
    if unknown:
        raise ValueError(f"Unknown photo source package(s) {unknown}. Known: {', '.join(PACKAGES)}")
    photos, missing = [], []
    for photo in CATALOGUE:
        if photo.package not in packages:
            continue
        path = os.path.join(root, photo.path.lstrip("/"))
        if not os.path.isfile(path):
            if photo.package not in missing:
                missing.append(photo.package)
            continue
        photos.append(dataclasses.replace(photo, path=path))
    if missing:
        raise FileNotFoundError(
            f"The photo source package(s) {', '.join(missing)} are not installed (or miss files). Install them with "
            f"`sudo {APT_INSTALL} {' '.join(missing)}` (Debian/Ubuntu), or `make dehazer-data` for every source."
        )
    return photos


def _unit_hash(text):
    """A stable float in [0, 1) from a string (SHA-256, not Python's hash)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") / 2.0**64


def split_photos(photos, heldout_fraction=0.2):
    """Splits photos into `train` and `heldout`, deterministically by file.

    Within each scene type (outdoor / indoor / close-up) the photos are
    ranked by the SHA-256 of their `key`; the first `round(fraction * n)`
    (at least one where a scene has two or more photos) are held out. A
    photo's split depends only on its key and the other photos of its scene,
    never on a seed, so held-out photos stay held out across runs.

    Args:
        photos: `Photo`s (from `installed_photos`).
        heldout_fraction: share of each scene type held out, in (0, 1).

    Returns:
        `{"train": [...], "heldout": [...]}`, disjoint lists of `Photo`s in
        catalogue order.
    """
    if isinstance(heldout_fraction, bool) or not isinstance(heldout_fraction, (int, float)) or not 0 < heldout_fraction < 1:
        raise ValueError(f"`heldout_fraction` must lie strictly between 0 and 1. Received: heldout_fraction={heldout_fraction!r}")
    photos = list(photos)
    keys = [photo.key for photo in photos]
    if len(set(keys)) != len(keys):
        raise ValueError(f"Photo keys must be unique. Received: keys={keys}")
    heldout = set()
    for scene in SCENES:
        group = sorted((photo for photo in photos if photo.scene == scene), key=lambda p: _unit_hash(p.key))
        count = int(round(heldout_fraction * len(group)))
        if len(group) >= 2:
            count = min(max(count, 1), len(group) - 1)
        heldout.update(photo.key for photo in group[:count])
    return {
        "train": [photo for photo in photos if photo.key not in heldout],
        "heldout": [photo for photo in photos if photo.key in heldout],
    }

