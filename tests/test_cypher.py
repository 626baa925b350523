"""Stored Cypher: every file loads, parameters are checked, templates only take identifiers."""

import pytest

from toolkit import cypher
from toolkit.errors import QueryError


def test_every_stored_statement_has_a_doc_comment():
    for path in sorted(cypher.CYPHER_DIR.rglob("*.cypher")):
        statement = cypher.read_statement(path, path.stem)
        assert statement.doc, f"{path} has no leading // comment"


def test_parameters_are_found_outside_comments_and_strings():
    statement = cypher.Statement("x", "// uses $not_this\nMATCH (n {a: '$nope'}) WHERE n.b = $b RETURN $c", "")
    assert statement.parameters == {"b", "c"}


def test_check_rejects_missing_and_extra_parameters():
    statement = cypher.load("export/runs")
    with pytest.raises(QueryError, match="missing parameters"):
        statement.check({"kind": None})
    with pytest.raises(QueryError, match="unexpected"):
        statement.check({"kind": None, "limit": 1, "evil": "x"})


def test_render_refuses_non_identifiers():
    with pytest.raises(ValueError, match="not a plain identifier"):
        cypher.render("write/merge_nodes", label="Gene) DETACH DELETE (n", key="entrez_id")


def test_unknown_statement_is_a_clear_error():
    with pytest.raises(QueryError, match="no stored query"):
        cypher.load("nope/never")
