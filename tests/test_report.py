"""vietlao.benchmark.report: tables only; text in a cell is escaped once, by the table."""

from vietlao.benchmark.report import anatomy_table


def test_a_pipe_in_an_example_is_escaped_once():
    anatomy = {
        "kinds": {"spurious": 1, "exact": 1},
        "surfaces": {"spurious": [{"text": "a|b", "label": "PER", "n": 1}]},
        "examples": {"exact": ["000-001 'x|y':PER"]},
        "span_shape": {},
    }
    table = anatomy_table({"rows": [{"source": "peer", "system": "tool", "anatomy": anatomy}]})
    assert "`a\\|b` PER" in table and "'x\\|y'" in table
    assert "\\\\|" not in table
