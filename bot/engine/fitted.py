"""The matcher's recipe and the decision thresholds as last fitted on data (`govbot fit`).

They live in `fitted.json` beside this module, written by the fit, not by hand: the numbers
that turn scores into answers are chosen by one reproducible command on the dev set and on the
knowledge base asked against itself, and judged on sets they were not fitted on (README,
"Accuracy"). A missing or unreadable file leaves the defaults written in the dataclasses.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

FITTED_FILE = "fitted.json"


@cache
def read_fitted() -> dict[str, object]:
    """The whole file, read once (the recipe, the thresholds and the model all come from it);
    {} when it is missing or unreadable."""
    try:
        data = json.loads(resources.files(__package__).joinpath(FITTED_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def fitted(section: str) -> dict[str, float]:
    """The fitted values of one section ("recipe" or "thresholds"); {} when there are none."""
    values = read_fitted().get(section)
    return {k: v for k, v in values.items() if isinstance(v, (int, float))} if isinstance(
        values, dict) else {}
