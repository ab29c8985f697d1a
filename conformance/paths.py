"""Where the suite's own files live, in a checkout and in an installed copy.

The repository keeps one copy of each: ``spec/`` and the implementations' expected failures under
``reports/`` at the top. The package reaches them through two links, ``conformance/spec`` and
``conformance/baselines``, which the wheel build follows, so an installed suite carries the same bytes
(tests/test_packaging.py proves it on a built wheel).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
GRAPHS_DIR = PACKAGE_DIR / "graphs"


SPEC_DIR = PACKAGE_DIR / "spec"
BASELINES_DIR = PACKAGE_DIR / "baselines"


class PackageDataError(FileNotFoundError):
    """The suite's own data (the vendored spec, rules, errata) is missing: a broken install."""


def spec_dir() -> Path:
    """The vendored spec, errata and rules: spec/ of the checkout, or the copy inside the installed package."""
    if not (SPEC_DIR / "openapi.yaml").is_file():
        raise PackageDataError(
            f"the suite's data is missing: {SPEC_DIR / 'openapi.yaml'} not found "
            "(a wheel built without its package data?); reinstall the suite, or pass --spec, --errata"
        )
    return SPEC_DIR


def reports_dir() -> Path:
    return REPO_DIR / "reports"


def display_path(path: Path | str | None) -> str | None:
    """A path as reports show it: relative to the checkout when inside it, so committed reports are stable."""
    if path is None:
        return None
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(REPO_DIR))
    except ValueError:
        return str(path)
