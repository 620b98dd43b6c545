# Every grader run loads the harness: options, the `server` and `rng` fixtures, teaching failures and the
# end-of-run summary. See graders/README.md.
#
# The hooks and fixtures are imported rather than listed in `pytest_plugins`: pytest refuses `pytest_plugins`
# in a conftest below the root folder when it finds that conftest late (as `pytest .` does). The same module
# also works as a plugin on its own: `pytest -p graders.harness.plugin path/to/graders`.
from graders.harness.plugin import *  # noqa: F401,F403
