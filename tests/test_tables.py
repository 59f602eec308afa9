"""vietlao.tables: the Markdown tables of reports, card blocks and command output."""

from vietlao.tables import markdown_table


def test_floats_get_three_decimals_and_pipes_are_escaped():
    assert markdown_table(["a", "b"], [[0.5, "x|y"], [3, "—"]]).splitlines() == [
        "| a | b |", "|---|---|", "| 0.500 | x\\|y |", "| 3 | — |"]


def test_a_table_without_rows_is_its_header():
    assert markdown_table(["only"], []) == "| only |\n|---|"
