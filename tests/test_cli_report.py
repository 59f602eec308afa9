"""vietlao report: the command line; bad input is one line and exit status 1, nothing written."""

from __future__ import annotations

import pytest

from vietlao.cli import main


@pytest.mark.parametrize("args, message", [
    (["--task", "ner"], "no predictions: give --predictions"),
    (["--task", "ner", "--baselines", "crf", "--protocol", "lodo2"], "unknown protocol 'lodo2'"),
    (["--task", "stance", "--baselines", "crf"], "no stance baseline among them"),
    (["--task", "ner", "--predictions", "missing.jsonl"], "predictions missing.jsonl cannot read"),
])
def test_errors_are_one_line(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r.html"
    assert main(["report", *args, "--bootstrap", "0", "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_stance_report_of_two_baselines(tmp_path, capsys):
    out = tmp_path / "stance.html"
    assert main(["report", "--task", "stance", "--baselines", "majority,e5-lr", "--protocol", "xling-ru",
                 "--bootstrap", "50", "--output", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "stance under xling-ru: 2 system(s), 7 sentences" in capsys.readouterr().out
    assert html.count('<article class="card"') == 7 and "http://" not in html and "https://" not in html
    assert "majority − e5-lr" in html
