"""The shared text-table helpers of the built-in sources."""

from __future__ import annotations

import gzip

import pytest

from kgtool_plugins.sources.tables import (
    DelimitedFile,
    GeneTable,
    Problems,
    batched,
    clean,
    iter_lines,
    parse_int,
    pert_id,
    sniff,
    split_list,
)
from toolkit.errors import InputDataError
from toolkit.graph.batches import SourceReport

from ._util import truncated_gzip, tsv, write


def problems(lenient: bool = False, cap: int = 100) -> Problems:
    return Problems(SourceReport("test"), lenient, cap)


def test_reads_plain_and_gzip_alike(tmp_path):
    text = tsv(("a", "b"), (1, 2), (3, 4))
    plain = write(tmp_path / "t.tsv", text)
    packed = write(tmp_path / "t.tsv.bin", text, gz=True)  # gzip told by magic bytes, not the name
    assert list(iter_lines(plain)) == list(iter_lines(packed)) == [(1, "a\tb"), (2, "1\t2"), (3, "3\t4")]


def test_crlf_and_bom_are_stripped(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_bytes("\ufeffa\tb\r\n1\t2\r\n".encode("utf-8"))
    table = DelimitedFile(path, problems())
    assert table.columns == ("a", "b")
    assert [r.fields for r in table.rows()] == [["1", "2"]]


def test_truncated_gzip_names_file_and_line(tmp_path):
    path = truncated_gzip(tmp_path / "t.tsv.gz", tsv(("a", "b"), *[(i, i * 7) for i in range(20000)]))
    with pytest.raises(InputDataError) as err:
        list(iter_lines(path))
    msg = str(err.value)
    assert msg.startswith(f"{path}: line ") and "truncated or corrupt" in msg and "fix:" in msg
    assert "\n" not in msg


def test_non_utf8_bytes_name_file_line_and_byte(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_bytes(b"a\tb\nok\t1\nkr\x9fppel\t2\n")
    with pytest.raises(InputDataError) as err:
        list(DelimitedFile(path, problems()).rows())
    assert str(err.value).startswith(f"{path}: line 3: byte 0x9f at column 3 is not valid UTF-8; fix: ")


def test_fallback_encoding_decodes_and_reports(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_bytes(b"name\tmoa\nx\tserotonin\xd0norepinephrine\n")
    p = problems()
    rows = list(DelimitedFile(path, p, fallback_encoding="mac_roman").rows())
    assert rows[0]["moa"] == "serotonin\u2013norepinephrine"
    assert p.report.repaired == [f"{path}: line 2: not UTF-8; decoded as mac_roman"]


def test_wrong_column_count_strict_and_lenient(tmp_path):
    path = write(tmp_path / "t.tsv", tsv(("a", "b", "c"), (1, 2, 3), (4, 5), (6, 7, 8)))
    with pytest.raises(InputDataError) as err:
        list(DelimitedFile(path, problems()).rows())
    assert str(err.value) == (
        f"{path}: line 3: 2 tab-separated columns where the header has 3; "
        "fix: give every row exactly 3 tab-separated values"
    )
    p = problems(lenient=True)
    rows = list(DelimitedFile(path, p).rows())
    assert [r.line for r in rows] == [2, 4]
    assert p.report.dropped == [f"{path}: line 3: 2 tab-separated columns where the header has 3; skipped (lenient)"]
    assert p.report.rows_read == 2


def test_missing_required_column(tmp_path):
    path = write(tmp_path / "t.tsv", tsv(("a", "b"), (1, 2)))
    table = DelimitedFile(path, problems())
    assert table.column("x", "a") == "a"
    assert table.column("x", required=False) is None
    with pytest.raises(InputDataError) as err:
        table.column("combined_score")
    assert str(err.value).startswith(f"{path}: header: missing required column 'combined_score' (found: a, b)")


def test_empty_file_has_no_header(tmp_path):
    path = write(tmp_path / "t.tsv", "")
    with pytest.raises(InputDataError, match="no header line"):
        DelimitedFile(path, problems())


def test_values_are_verbatim_unless_unquote(tmp_path):
    text = tsv(("name", "x"), ('"a,b"', "`{x}`"), ('say "hi"', "'q'"))
    path = write(tmp_path / "t.tsv", text)
    assert [r.fields for r in DelimitedFile(path, problems()).rows()] == [['"a,b"', "`{x}`"], ['say "hi"', "'q'"]]
    unq = [r.fields for r in DelimitedFile(path, problems(), unquote=True).rows()]
    assert unq == [["a,b", "`{x}`"], ['say "hi"', "'q'"]]


def test_report_lines_are_capped_with_a_summary(tmp_path):
    p = problems(lenient=True, cap=3)
    for i in range(10):
        p.drop(tmp_path, f"line {i}", f"self-loop {i}", kind="self-loop")
    p.finish()
    assert len(p.report.dropped) == 4
    assert p.report.dropped[-1] == f"{tmp_path}: 7 more rows dropped (self-loop); only the first 3 are listed"


def test_sniff_skips_bang_lines_and_hash(tmp_path):
    path = write(tmp_path / "t.txt", "!Source\tx\n!URL\ty\n#string_protein_id\talias\tsource\n")
    head = sniff(path)
    assert head.first_line == "!Source\tx"
    assert head.fields == ("string_protein_id", "alias", "source")
    assert sniff(write(tmp_path / "s.txt", "protein1 protein2 combined_score\n")).fields == (
        "protein1", "protein2", "combined_score")


def test_gene_table_layouts(tmp_path):
    genes = GeneTable()
    genes.read(write(tmp_path / "geneinfo.txt", tsv(
        ("gene_id", "gene_symbol", "feature_space"), (5720, "PSME1", "landmark"), (10, "NAT2", "inferred"))),
        problems())
    genes.read(write(tmp_path / "lm.tsv", tsv(
        ("pr_gene_id", "pr_gene_symbol", "pr_id", "pr_is_lmark"), (7416, "VDAC1", "217140_s_at", 1))), problems())
    assert genes.symbols == {5720: "PSME1", 10: "NAT2", 7416: "VDAC1"}
    assert genes.landmarks == {5720, 7416} and genes.has_landmark_info
    assert genes.probes == {"217140_s_at": 7416}
    assert genes.ids_for_symbol("psme1") == {5720}
    assert genes.ids_for_symbol("nope") == set()


def test_small_value_helpers():
    assert pert_id("BRD-K12345678-001-01-1") == "BRD-K12345678"
    assert pert_id(" BRD-K12345678 ") == "BRD-K12345678"
    assert pert_id("DMSO") == "DMSO" and pert_id("CMAP-ABCDEFGHIJKLMNOP") == "CMAP-ABCDEFGHIJKLMNOP"
    assert split_list("a|b; c|a||-666") == ["a", "b", "c"]
    assert parse_int("12") == 12 and parse_int("12.0") == 12 and parse_int("1.5") is None and parse_int("x") is None
    assert clean({"a": None, "b": float("nan"), "c": [1, None], "d": (1, 2), "e": 0}) == {"d": [1, 2], "e": 0}
    assert [len(c) for c in batched(range(7), 3)] == [3, 3, 1]
    with pytest.raises(ValueError):
        list(batched(range(3), 0))


def test_corrupt_gzip_crc(tmp_path):
    data = bytearray(gzip.compress(b"a\tb\n1\t2\n"))
    data[-8] ^= 0xFF  # break the CRC
    path = tmp_path / "t.tsv.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(InputDataError, match="truncated or corrupt"):
        list(iter_lines(path))


def test_missing_file(tmp_path):
    with pytest.raises(InputDataError, match="cannot be opened"):
        list(iter_lines(tmp_path / "nope.tsv"))


def test_a_last_line_without_line_break_is_a_cut_file_where_lines_must_be_complete(tmp_path):
    path = write(tmp_path / "t.tsv", "a\tb\n1\t2\n3\t40")  # "40" may be the start of "400"
    assert [r.fields for r in DelimitedFile(path, problems()).rows()] == [["1", "2"], ["3", "40"]]  # other tables
    with pytest.raises(InputDataError) as err:
        list(DelimitedFile(path, problems(), complete_lines=True).rows())
    assert str(err.value).startswith(f"{path}: line 3: the file ends in the middle of this line (no final line "
                                     "break): it is cut; fix: ")
    p = problems(lenient=True)
    assert [r.fields for r in DelimitedFile(path, p, complete_lines=True).rows()] == [["1", "2"]]
    assert p.report.dropped_by_reason == {"cut last line": 1}
    assert p.report.dropped[0].startswith(f"{path}: line 3: the file ends in the middle of this line")
    complete = write(tmp_path / "ok.tsv", "a\tb\n1\t2\n3\t400\n")
    assert len(list(DelimitedFile(complete, problems(), complete_lines=True).rows())) == 2
    gz = write(tmp_path / "t.tsv.gz", "a\tb\n1\t2\n3\t40", gz=True)  # the same inside gzip
    with pytest.raises(InputDataError, match="line 3: the file ends in the middle of this line"):
        list(DelimitedFile(gz, problems(), complete_lines=True).rows())


def test_a_header_only_file_is_an_error_and_under_lenient_a_warning_and_0_records(tmp_path, caplog):
    path = write(tmp_path / "t.tsv", "a\tb\n")
    with pytest.raises(InputDataError) as err:
        list(DelimitedFile(path, problems()).rows())
    assert str(err.value).startswith(f"{path}: file: a header but no data rows (0 records)")
    p = problems(lenient=True)
    with caplog.at_level("WARNING"):
        assert list(DelimitedFile(path, p).rows()) == []
    assert p.report.dropped == [f"{path}: file: a header but no data rows (0 records); nothing loaded from it "
                                "(lenient)"]
    assert p.report.dropped_by_reason == {"0 records": 1}
    assert any(str(path) in r.getMessage() and "0 records" in r.getMessage() for r in caplog.records)
