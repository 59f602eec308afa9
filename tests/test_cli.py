import subprocess
import sys

from vietlao.cli import main
from vietlao.corpus.documents import load_metadata


def test_bare_command_prints_help(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "usage: vietlao" in out and "stats" in out


def test_stats_prints_every_document(capsys):
    assert main(["stats"]) == 0
    out = capsys.readouterr().out
    for meta in load_metadata():
        assert f"{meta.doc_id}  {meta.lang}" in out


def test_console_entry_point():
    done = subprocess.run([sys.executable, "-m", "vietlao", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "stats" in done.stdout
