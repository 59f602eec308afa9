import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# The project the tests read: this checkout, wherever pytest is started from.
os.environ["VIETLAO_ROOT"] = str(Path(__file__).resolve().parents[1])

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def ls_venv() -> Path:
    """Label Studio's environment (``VIETLAO_LS_VENV`` or ``.venv-ls``) for the server tests: without
    it they are skipped locally, and fail when ``CI=true`` (CI must run them)."""
    from vietlao.labelstudio.server import VENV_ENV
    from vietlao.paths import project

    venv = Path(os.environ.get(VENV_ENV) or project().ls_venv)
    if not (venv / "bin" / "label-studio").exists():
        message = f"no Label Studio in {venv}; `python3 scripts/dev.py test` creates it"
        if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
            pytest.fail(message + " (CI=true: this must not be skipped)")
        pytest.skip(message)
    return venv
