import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# The project the tests read: this checkout, wherever pytest is started from.
os.environ["VIETLAO_ROOT"] = str(Path(__file__).resolve().parents[1])
