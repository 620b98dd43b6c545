# The kit's own tests run graders with --learner; a remembered name must not land in the developer's real
# learner-state.json. Every test (and every process it starts) gets a state file of its own instead; the tests
# of `python -m graders` work in a copy of the kit and set their own environment.
import pytest

from graders.ground.state import OVERRIDE


@pytest.fixture(autouse=True)
def separate_learner_state(tmp_path_factory, monkeypatch):
    monkeypatch.setenv(OVERRIDE, str(tmp_path_factory.mktemp("state") / "learner-state.json"))
