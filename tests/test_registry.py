"""vietlao.models.registry and vietlao.models.interface: every registered baseline declares the
interface, names are unique, and a module that does not declare it is refused with its name."""

from types import ModuleType

import pytest

from vietlao.errors import UserError
from vietlao.models import ner_crf, stance_majority
from vietlao.models.interface import TASKS, Baseline, available, extra, uses_kb
from vietlao.models.registry import BASELINES, all_baselines, select_baselines


def test_every_baseline_declares_the_interface():
    assert all(isinstance(b, Baseline) and b.TASK in TASKS and isinstance(b.SEEDED, bool) for b in BASELINES)
    names = [b.NAME for b in BASELINES]
    assert len(names) == len(set(names))


def test_the_optional_members_have_one_default():
    assert available(stance_majority) and extra(stance_majority) is None and not uses_kb(stance_majority)
    assert uses_kb(ner_crf)
    assert all(uses_kb(b) for b in BASELINES if b.TASK == "linking")


def test_a_module_without_the_interface_is_refused(monkeypatch):
    half = ModuleType("half_baseline")
    half.NAME, half.TASK = "half", "ner"  # no SEEDED, no predict
    monkeypatch.setattr("vietlao.models.registry.BASELINES", (*BASELINES, half))
    with pytest.raises(UserError, match="half_baseline is not a baseline: it needs NAME, TASK"):
        all_baselines()
    wrong_task = ModuleType("wrong_task")
    wrong_task.NAME, wrong_task.TASK, wrong_task.SEEDED, wrong_task.predict = "w", "pos", False, lambda *a, **k: []
    monkeypatch.setattr("vietlao.models.registry.BASELINES", (wrong_task,))
    with pytest.raises(UserError, match="wrong_task is not a baseline"):
        all_baselines()


def test_selecting_an_unknown_name_lists_the_known_ones():
    with pytest.raises(UserError, match="unknown baseline\\(s\\) nope: choose from majority"):
        select_baselines(["nope"])
    assert [b.NAME for b in select_baselines(["crf", "majority"])] == ["majority", "crf"]
