"""A real headless Chromium for the staff console's tests: Debian's package, driven by
Playwright (no browser of Playwright's own is downloaded), and a simple accessibility check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
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
