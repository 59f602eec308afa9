import subprocess
import sys

from vietlao.cli import main
from vietlao.corpus.documents import load_corpus, load_metadata


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


def test_stats_lists_a_documents_sentences(capsys):
    documents = load_corpus()
    doc = documents[-1]
    assert main(["stats", "--sentences", doc.doc_id]) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [(x[0], int(x[1]), int(x[2]), x[4]) for x in lines] == [
        (doc.sentence_id(i), s.start, s.end, s.text) for i, s in enumerate(doc.sentences)
    ]


def test_stats_names_an_unknown_document_in_one_line(capsys):
    assert main(["stats", "--sentences", "999"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("vietlao: error: no document 999 in the metadata")
