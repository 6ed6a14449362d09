"""Load the fake Telegram Bot API server for the end-to-end bench, from the source tree.

Why from the source tree: the fake server is test machinery (tests/fakeapi/) and is not part of
the installed package, so that production installs carry no test code. `govbot bench` only
needs it for its `e2e` section, which is run by developers from a clone (`pip install -e
'.[bench]'`); from a wheel install the bench says so plainly instead of failing on an import.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

#: Name the fake is imported under: a private one, so that a ``tests`` package installed by some
#: other distribution can neither shadow it nor be shadowed by it.
MODULE_NAME = "govbot_fakeapi"


class FakeServerMissing(RuntimeError):
    """The source tree with tests/fakeapi/ is not where the installed package points."""


def source_root() -> Path:
    """The checkout govbot was installed from (editable install), if it is one."""
    return Path(__file__).resolve().parents[2]


def load_fake_api(root: Path | None = None) -> ModuleType:
    """Import tests/fakeapi/ from the source tree; raise :class:`FakeServerMissing` if absent."""
    if MODULE_NAME in sys.modules:
        return sys.modules[MODULE_NAME]
    package_dir = (root or source_root()) / "tests" / "fakeapi"
    init = package_dir / "__init__.py"
    if not init.is_file():
        raise FakeServerMissing(
            "the end-to-end bench needs the fake Telegram Bot API server from govbot's source "
            f"tree (tests/fakeapi/), which is not at {package_dir}. Install govbot from a clone "
            "with: pip install -c constraints.txt -e '.[bench]', or leave e2e out: "
            "--sections engine,scaling,cold"
        )
    spec = importlib.util.spec_from_file_location(
        MODULE_NAME, init, submodule_search_locations=[str(package_dir)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[MODULE_NAME]
        raise
    return module
