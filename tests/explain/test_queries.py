"""The hypothesis queries and Browser assets: documented, parameter-only, listed (no graph)."""

import re

from click.testing import CliRunner

from toolkit import browser, cypher
from toolkit.queries import hypotheses

NEW = ("why_predicted", "shared_pathway_compounds", "candidate_targets", "run_disagreement", "gene_interactions",
       "explained_edges")


def test_every_hypothesis_documents_each_of_its_parameters():
    queries = hypotheses()
    assert set(NEW) <= set(queries)
    for name, statement in queries.items():
        assert statement.doc, name
        missing = {p for p in statement.parameters if f"${p}" not in statement.doc}
        assert not missing, f"{name}: parameters {sorted(missing)} are not described in its // comment"


def test_explain_statements_take_parameters_only():
    names = [p.stem for p in (cypher.CYPHER_DIR / "write").glob("explains_*.cypher")]
    names += [p.stem for p in (cypher.CYPHER_DIR / "export").glob("explain_*.cypher")]
    assert len(names) >= 12
    for stem in names:
        folder = "write" if stem.startswith("explains_") else "export"
        statement = cypher.load(f"{folder}/{stem}")
        assert not re.search(r"\{[a-z_]+\}", statement.text), f"{stem} is a template; explain statements are not"


def test_browser_style_covers_the_explanation_graph():
    style = browser.style()
    for selector in ("node.Gene", "node.GOTerm", "node.Compound", "node.MoA", "node.Prediction", "node.Substructure",
                     "relationship.EXPLAINS"):
        assert selector in style
    block = style.split("relationship.EXPLAINS {")[1].split(";\n}")[0]
    assert 'caption: "{score}"' in block
    command = browser.style_command()
    assert command.startswith(":style ") and "\n" not in command and "/*" not in command


def test_guide_names_every_new_query_and_the_cli_prints_it():
    from toolkit.cli import cli

    guide = browser.guide()
    assert all(name in guide for name in NEW)
    result = CliRunner().invoke(cli, ["query", "--guide"])
    assert result.exit_code == 0 and result.output.startswith("# kgtool in Neo4j Browser")
    listing = CliRunner().invoke(cli, ["query", "--list"])
    assert all(name in listing.output for name in NEW)
