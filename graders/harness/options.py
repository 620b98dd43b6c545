"""The grader options as the harness uses them: where the servers are, which URL, which results file."""
from __future__ import annotations

from pathlib import Path

import pytest

from graders.ground import KIT_ROOT
from graders.ground.results import DEFAULT_RESULTS

SOLUTIONS = KIT_ROOT / "solutions"
SEED = pytest.StashKey[int]()                 # the run's seed, set in pytest_configure


def target_dir(config) -> Path:
    """--target as given: absolute, or relative to where pytest was started, else to the repository root."""
    target = Path(config.getoption("target"))
    for base in (config.invocation_params.dir, KIT_ROOT):
        if (base / target).is_dir():
            return base / target
    return KIT_ROOT / target


def grades_the_kits_solutions(config) -> bool:
    try:
        return target_dir(config).resolve() == SOLUTIONS.resolve()
    except OSError:
        return False


def server_url(config) -> str | None:
    """--server-url, with http:// added when it was left out (127.0.0.1:8122 would otherwise mean port 80)."""
    url = (config.getoption("server_url") or "").strip()
    if not url:
        return None
    return url if "://" in url else "http://" + url


def results_path(config) -> Path:
    """--results relative to where pytest was started; by default grader-results.json at the kit's root,
    whatever folder pytest runs from, so a run from a challenge's folder never starts a second file."""
    given = config.getoption("results")
    return Path(config.invocation_params.dir, given) if given else DEFAULT_RESULTS
