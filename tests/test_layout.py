"""The layers of the house: the core in `bot/` knows no feature and no assembly."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ABOVE_THE_CORE = ("handlers", "broadcasts", "padome", "reports")


def _imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_core_imports_no_feature_and_no_assembly() -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) & set(ABOVE_THE_CORE))
        for path in (ROOT / "bot").rglob("*.py")
    }
    assert {name: packages for name, packages in wrong.items() if packages} == {}


def test_reports_are_built_without_the_assembly() -> None:
    for path in (ROOT / "reports").rglob("*.py"):
        assert "padome" not in _imported_packages(path), path
