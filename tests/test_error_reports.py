"""vietlao.benchmark.error_reports: one HTML report per protocol from the baselines' files, linked from RESULTS.md."""

from __future__ import annotations

import shutil

from vietlao.benchmark.error_reports import write_reports
from vietlao.benchmark.report import reports_table
from vietlao.models.registry import select_baselines
from vietlao.benchmark.protocols import predictions_file, protocols
from vietlao.evaluation.evaluate import load_gold
from vietlao.paths import project


def test_one_report_per_protocol_with_every_task_of_its_baselines(tmp_path):
    modules = select_baselines(["crf", "majority"])
    (xling_ru,) = [p for p in protocols(load_gold("ner", "all")) if p.name == "xling-ru"]
    for module in modules:
        target = predictions_file(tmp_path, module, "xling-ru")
        target.parent.mkdir(parents=True)
        shutil.copy(predictions_file(project().results, module, "xling-ru"), target)
    written = write_reports(tmp_path, modules, [xling_ru], dataset_dir=None, n_boot=20, seed=0)
    assert written == {"xling-ru": "report/xling-ru.html"}
    html = (tmp_path / written["xling-ru"]).read_text(encoding="utf-8")
    assert 'data-task="ner"' in html and 'data-task="stance"' in html and "<script src" not in html
    table = reports_table({"protocols": {"xling-ru": {"setting": "vi → ru"}}, "error_reports": written})
    assert "[`report/xling-ru.html`](report/xling-ru.html)" in table
