"""The README's pictures of the staff console, made small from the browser tests' screenshots.

    python tests/readme_screenshots.py <the tests' screenshot folder> docs/console

The browser tests save a full-page PNG of every page they check (see tests/browser.py); the
pages chosen here are cut to their first screens, scaled to at most 1000 px wide and stored
with a palette of their own colours, so that all of them together stay small enough for the
repository. `make console-screenshots` runs the tests and then this.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

# The tests' name of a page -> the README's file name. Every page shows the tests' made-up
# residents and places only.
CHOSEN = {
    "overview": "overview.png",
    "overview-phone": "overview-phone.png",
    "surveys-builder-preview": "survey-builder.png",
    "surveys-builder-phone": "survey-builder-phone.png",
    "broadcast-compose": "broadcast-compose.png",
    "broadcast-preview": "broadcast-preview.png",
    "broadcast-compose-lv-phone": "broadcast-compose-phone-lv.png",
    "nominations-unit": "nominations-unit.png",
    "nomination-awaiting-consent": "nomination.png",
    "idea": "idea.png",
    "people-en": "people.png",
    "person": "person.png",
    "meeting-organiser": "meeting.png",
}
WIDTH = 1000
# A full page can be very long; the README shows its top, which says what the page is. The
# survey builder is shown down to its first questions.
HEIGHT = 1400
PHONE_HEIGHT = 1300
TALLER = {"surveys-builder-preview": 2600}
COLOURS = 96


def shrink(source: Path, target: Path, *, height: int | None = None) -> int:
    """Write the small copy of one screenshot; its size in bytes."""
    with Image.open(source) as opened:
        image = opened.convert("RGB")
    phone = image.width < 600
    if image.width > WIDTH:
        image = image.resize(
            (WIDTH, round(image.height * WIDTH / image.width)), Image.Resampling.LANCZOS
        )
    height = height or (PHONE_HEIGHT if phone else HEIGHT)
    image = image.crop((0, 0, image.width, min(image.height, height)))
    small = image.quantize(
        colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    small.save(target, optimize=True)
    return target.stat().st_size


def main(folder: Path, into: Path) -> int:
    into.mkdir(parents=True, exist_ok=True)
    missing = [name for name in CHOSEN if not (folder / f"{name}.png").exists()]
    if missing:
        print(f"not among the tests' screenshots in {folder}: {', '.join(missing)}")
        return 1
    total = 0
    for name, file_name in CHOSEN.items():
        size = shrink(folder / f"{name}.png", into / file_name, height=TALLER.get(name))
        total += size
        print(f"{file_name}: {size // 1024} KB")
    print(f"together {total // 1024} KB")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
