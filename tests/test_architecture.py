"""The layers of docs/architecture.md are enforced: a wrong-way import fails `make lint`."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["liaison", "points", "deputies", "petitions", "scoring"]


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path):
    """A copy of the project's packages and contracts to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_tree_keeps_its_contracts(tree):
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    "module,line,contract",
    [
        # The bottom app reaching up into one that depends on it.
        ("points/models.py", "from petitions.models import Petition", "Composition above the apps"),
        # A domain app reaching into the composing layer, even inside a function.
        ("deputies/services.py", "def f():\n    from liaison.portal import selectors", "Composition above the apps"),
        # The floor importing an app, or the project's Celery app.
        ("liaison/core/notifications.py", "import petitions.models", "Composition above the apps"),
        ("liaison/core/health.py", "from liaison.celery import app", "The floor imports nothing"),
        # A cycle inside an app hidden in a function.
        ("petitions/workflow.py", "def f():\n    from . import services", "No import cycles"),
    ],
)
def test_a_wrong_way_import_breaks_the_build(tree, module, line, contract):
    path = tree / module
    path.write_text(path.read_text() + f"\n\n{line}\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts")[1]
    assert contract in broken, result.stdout
