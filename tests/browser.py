"""A real headless Chromium for the staff console's tests: Debian's package, driven by
Playwright (no browser of Playwright's own is downloaded), a simple accessibility check,
axe-core's check, and full-page screenshots for a reviewer."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = Path("/usr/bin/chromium")


def _installed() -> bool:
    return CHROMIUM.exists()


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Headless Chromium; the test is skipped, saying why, only where it is not installed."""
    if not _installed():
        pytest.skip(
            f"Chromium is not installed at {CHROMIUM}: the staff console's browser tests need "
            "Debian's chromium package (apt-get install chromium; .ci/run installs it)"
        )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            await browser.close()


# Every problem a page has that a screen reader or a keyboard user would meet first: no
# language, a field without a label, an image without a text, a button without a name.
_ACCESSIBILITY_PROBLEMS = """
() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push("html without lang");
  if (!document.title.trim()) problems.push("page without a title");
  for (const field of document.querySelectorAll("input, select, textarea")) {
    if (field.type === "hidden") continue;
    const labelled = (field.id && document.querySelector(`label[for="${field.id}"]`))
      || field.closest("label") || field.getAttribute("aria-label")
      || field.getAttribute("aria-labelledby");
    if (!labelled) problems.push(`field without a label: ${field.outerHTML.slice(0, 80)}`);
  }
  for (const image of document.querySelectorAll("img")) {
    if (!image.hasAttribute("alt")) problems.push(`image without alt: ${image.src}`);
  }
  for (const button of document.querySelectorAll("button, a")) {
    if (!button.textContent.trim() && !button.getAttribute("aria-label")) {
      problems.push(`${button.tagName.toLowerCase()} without a name`);
    }
  }
  if (document.querySelectorAll("h1").length !== 1) problems.push("not exactly one h1");
  return problems;
}
"""


async def accessibility_problems(page: Page) -> list[str]:
    return await page.evaluate(_ACCESSIBILITY_PROBLEMS)


async def keyboard_reaches(page: Page, selector: str, *, presses: int = 40) -> bool:
    """Whether pressing Tab from the top of the page reaches the element."""
    await page.evaluate("() => document.activeElement && document.activeElement.blur()")
    target = page.locator(selector)
    for _ in range(presses):
        await page.keyboard.press("Tab")
        if await target.evaluate("element => element === document.activeElement"):
            return True
    return False


# Where the screenshots of the console's pages go: CONSOLE_SCREENSHOTS, or a folder in
# pytest's temporary directory.
SCREENSHOTS_VARIABLE = "CONSOLE_SCREENSHOTS"


def screenshots_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    chosen = os.environ.get(SCREENSHOTS_VARIABLE)
    folder = Path(chosen) if chosen else tmp_path_factory.getbasetemp() / "console-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def save_screenshot(page: Page, folder: Path, name: str) -> Path:
    """A full-page PNG of what the browser shows, named after the page."""
    path = folder / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


_AXE = Axe()
# What axe-core reports as keeping someone from using a page, not only hindering them.
BLOCKING_IMPACTS = ("serious", "critical")


async def axe_violations(page: Page) -> list[str]:
    """axe-core's violations of impact serious or critical on the page as it is now, one
    line each: the rule, its impact, and the first elements it found."""
    results = await _AXE.run(page)
    problems = []
    for violation in results.response["violations"]:
        if violation.get("impact") in BLOCKING_IMPACTS:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]]
            problems.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}"
            )
    return problems
