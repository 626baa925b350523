"""`kgtool fetch` against a local HTTP server (in this process, never the internet): the cache,
resume over Range, size and checksum checks, and the load line it prints."""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import h5py
import pytest
from click.testing import CliRunner

from toolkit import fetch
from toolkit.cli import cli
from toolkit.fetch.transfer import download
from tests.inline_cypher import raw_session

BIG = os.urandom(1 << 20)


@dataclass
class Files:
    """What the test server serves and how it misbehaves."""

    content: dict[str, bytes] = field(default_factory=dict)
    etag: str = '"v1"'
    cut_after: int | None = None  # the next full-body answer stops after this many bytes
    honour_range: bool = True
    base: str = ""  # the server's base URL, set by the fixture
    requests: list[dict] = field(default_factory=list)

    def add(self, name: str, data: bytes) -> None:
        self.content[name] = data


class _Handler(BaseHTTPRequestHandler):
    files: Files

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        files, name = self.files, urlsplit(self.path).path.rsplit("/", 1)[-1]
        rng, if_range = self.headers.get("Range"), self.headers.get("If-Range")
        record = {"name": name, "range": rng, "if_range": if_range, "sent": 0, "status": None}
        files.requests.append(record)
        data = files.content.get(name)
        if data is None:
            record["status"] = 404
            self.send_error(404)
            return
        start = 0
        if rng and files.honour_range and (if_range is None or if_range == files.etag):
            start = int(rng.removeprefix("bytes=").rstrip("-"))
            if start >= len(data):
                record["status"] = 416
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            record["status"] = 206
        else:
            self.send_response(200)
            record["status"] = 200
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", files.etag)
        self.end_headers()
        if files.cut_after is not None:  # announce the whole body, send part of it, hang up
            body, files.cut_after = body[:files.cut_after], None
            self.close_connection = True
        self.wfile.write(body)
        record["sent"] = len(body)


@pytest.fixture
def server():
    files = Files()
    handler = type("Handler", (_Handler,), {"files": files})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    files.base = f"http://127.0.0.1:{httpd.server_address[1]}/mirror"
    yield files
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def run_fetch(home: Path, server: Files, *args: str):
    result = CliRunner().invoke(cli, ["--home", str(home), "fetch", *args],
                                env={"KGTOOL_FETCH_MIRROR": server.base, "KGTOOL_HOME": None})
    return result.exit_code, result.output


def test_fetch_stores_in_the_cache_and_prints_the_exact_load_line(tmp_path, server):
    server.add("go-basic.obo", b"format-version: 1.2\n")
    server.add("goa_human.gaf.gz", BIG)
    code, out = run_fetch(tmp_path, server, "go-obo", "go-gaf")
    assert code == 0, out
    downloads = tmp_path / "downloads"
    assert (downloads / "goa_human.gaf.gz").read_bytes() == BIG
    digest = hashlib.sha256(BIG).hexdigest()
    assert (downloads / "goa_human.gaf.gz.sha256").read_text() == f"{digest}  goa_human.gaf.gz\n"
    assert not list(downloads.glob("*.part*"))
    lines = out.splitlines()
    assert f"go-gaf: downloaded {downloads / 'goa_human.gaf.gz'} (1,048,576 bytes; sha256 {digest})" in lines
    assert lines[-1] == f"  kgtool load go {downloads / 'go-basic.obo'} {downloads / 'goa_human.gaf.gz'}"
    assert lines[-2].startswith("next (goa_human.gaf uses UniProtKB ids: load string")
    assert [r["name"] for r in server.requests] == ["go-basic.obo", "goa_human.gaf.gz"]


def test_files_still_missing_for_the_load_are_named(tmp_path, server):
    server.add("geneinfo_beta.txt", b"gene_id\tgene_symbol\n1\tA1BG\n")
    code, out = run_fetch(tmp_path, server, "lincs-geneinfo")
    assert code == 0, out
    d = tmp_path / "downloads"
    assert out.splitlines()[-3:] == [
        "next:",
        "  kgtool fetch lincs-level5 lincs-siginfo",
        f"  kgtool load signatures {d / 'level5_beta_trt_cp_n720216x12328.gctx'} {d / 'siginfo_beta.txt'} "
        f"{d / 'geneinfo_beta.txt'}",
    ]


def test_hgnc_joins_the_go_load_as_its_mapping_file(tmp_path, server):
    for name in ("go-basic.obo", "goa_human.gaf.gz", "hgnc_complete_set.txt"):
        server.add(name, name.encode())
    assert run_fetch(tmp_path, server, "go-obo", "go-gaf")[0] == 0
    code, out = run_fetch(tmp_path, server, "hgnc")
    assert code == 0, out
    d = tmp_path / "downloads"
    assert out.splitlines()[-1] == (f"  kgtool load go {d / 'go-basic.obo'} {d / 'goa_human.gaf.gz'} "
                                    f"{d / 'hgnc_complete_set.txt'}")


def test_the_printed_load_line_loads_the_fetched_files(graph, tmp_path, server):
    """Demo files in the real formats, served under the LINCS names: the printed line runs as is."""
    import shlex

    from tests.helpers import server_env
    from toolkit.demo import DemoSpec, generate_demo

    demo = generate_demo(tmp_path / "demo", DemoSpec(seed=1, n_genes=200, n_moas=3, compounds_per_moa=4, n_cells=2,
                                                     pathway_size=10, n_background_terms=10))
    for remote, path in (("lincs-level5", demo.gctx), ("lincs-siginfo", demo.siginfo),
                         ("lincs-geneinfo", demo.geneinfo)):
        server.add(fetch.CATALOG[remote].filename, path.read_bytes())
    code, out = run_fetch(tmp_path / "home", server, "lincs-level5", "lincs-siginfo", "lincs-geneinfo")
    assert code == 0, out
    command = shlex.split(out.splitlines()[-1])
    assert command[:3] == ["kgtool", "load", "signatures"]
    loaded = CliRunner().invoke(cli, command[1:], env={**server_env(), "NEO4J_URI": None})
    assert loaded.exit_code == 0, loaded.output
    with raw_session(graph) as s:
        n = s.run("MATCH (x:Signature) RETURN count(x) AS n").single()["n"]
    with h5py.File(demo.gctx, "r") as f:
        assert n == f["0/META/COL/id"].shape[0] > 0


def test_a_cached_file_is_not_fetched_again_and_optional_files_join_the_load(tmp_path, server):
    for name in ("9606.protein.links.v12.0.txt.gz", "9606.protein.aliases.v12.0.txt.gz",
                 "9606.protein.info.v12.0.txt.gz"):
        server.add(name, name.encode())
    assert run_fetch(tmp_path, server, "string-info")[0] == 0
    code, out = run_fetch(tmp_path, server, "string-links", "string-aliases", "string-info")
    assert code == 0, out
    d = tmp_path / "downloads"
    assert f"string-info: in the cache: {d / '9606.protein.info.v12.0.txt.gz'}" in out.splitlines()
    assert [r["name"] for r in server.requests].count("9606.protein.info.v12.0.txt.gz") == 1
    assert out.splitlines()[-1] == (f"  kgtool load string {d / '9606.protein.links.v12.0.txt.gz'} "
                                    f"{d / '9606.protein.aliases.v12.0.txt.gz'} {d / '9606.protein.info.v12.0.txt.gz'}")


def test_an_interrupted_download_resumes_with_range(tmp_path, server):
    server.add("siginfo_beta.txt", BIG)
    server.cut_after = 300_000
    code, out = run_fetch(tmp_path, server, "lincs-siginfo")
    assert code == 1
    assert "stopped at 300,000 of 1,048,576 bytes" in out and "again to resume" in out
    part = tmp_path / "downloads" / "siginfo_beta.txt.part"
    assert part.stat().st_size == 300_000 and not (tmp_path / "downloads" / "siginfo_beta.txt").exists()

    code, out = run_fetch(tmp_path, server, "lincs-siginfo")
    assert code == 0, out
    assert "resumed at 300,000 bytes" in out
    second = server.requests[-1]
    assert (second["range"], second["if_range"], second["status"]) == ("bytes=300000-", '"v1"', 206)
    assert second["sent"] == len(BIG) - 300_000
    assert (tmp_path / "downloads" / "siginfo_beta.txt").read_bytes() == BIG
    assert not part.exists()


@pytest.mark.parametrize("why", ["no range support", "file changed"])
def test_a_whole_answer_to_a_resume_starts_over(tmp_path, server, why):
    server.add("siginfo_beta.txt", BIG)
    server.cut_after = 1000
    assert run_fetch(tmp_path, server, "lincs-siginfo")[0] == 1
    new = BIG
    if why == "no range support":
        server.honour_range = False
    else:
        new = BIG[::-1]
        server.add("siginfo_beta.txt", new)
        server.etag = '"v2"'
    code, out = run_fetch(tmp_path, server, "lincs-siginfo")
    assert code == 0, out
    assert server.requests[-1]["status"] == 200 and "resumed" not in out
    assert (tmp_path / "downloads" / "siginfo_beta.txt").read_bytes() == new


def test_a_complete_part_is_finished_without_downloading_again(tmp_path, server):
    server.add("geneinfo_beta.txt", BIG)
    server.cut_after = len(BIG)  # all bytes arrive, but as a cut-off answer: kept as a part ...
    dest = tmp_path / "geneinfo_beta.txt"
    url = f"{server.base}/geneinfo_beta.txt"
    got = download(url, dest)
    assert got.transferred == len(BIG)
    dest.unlink()  # ... or: the rename never happened
    (tmp_path / "geneinfo_beta.txt.sha256").unlink()
    dest.with_name("geneinfo_beta.txt.part").write_bytes(BIG)
    dest.with_name("geneinfo_beta.txt.part.json").write_text(f'{{"url": "{url}", "validator": "\\"v1\\""}}')
    again = download(url, dest)
    assert server.requests[-1]["status"] == 416
    assert (again.transferred, again.size, dest.read_bytes()) == (0, len(BIG), BIG)


def test_size_mismatch_is_an_error_and_nothing_is_cached(tmp_path, server):
    server.add("compoundinfo_beta.txt", BIG)
    server.cut_after = 10
    code, out = run_fetch(tmp_path, server, "lincs-compoundinfo")
    assert code == 1
    error = [line for line in out.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and "stopped at 10 of 1,048,576 bytes" in error[0]
    assert not (tmp_path / "downloads" / "compoundinfo_beta.txt").exists()
    assert not (tmp_path / "downloads" / "compoundinfo_beta.txt.sha256").exists()


def test_checksums_are_checked(tmp_path, server):
    server.add("hgnc_complete_set.txt", BIG)
    code, out = run_fetch(tmp_path, server, "hgnc", "--checksum", "sha256:" + "0" * 64)
    assert code == 1 and "checksum mismatch" in out
    assert not list((tmp_path / "downloads").iterdir())
    code, out = run_fetch(tmp_path, server, "hgnc", "--checksum", "md5:" + hashlib.md5(BIG).hexdigest())
    assert code == 0, out
    # the catalogue's published md5 is checked without being asked
    server.add("repurposing_samples_20200324.txt", b"not the published file")
    code, out = run_fetch(tmp_path, server, "repurposing-samples")
    assert code == 1 and "checksum mismatch: md5" in out and "44067d6ea0e63c70f51e0469d60232ec" in out


def test_url_option_fetches_one_file_from_its_own_address(tmp_path, server):
    server.add("elsewhere.obo", b"format-version: 1.2\n")
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "fetch", "go-obo", "--url",
                                      f"{server.base}/elsewhere.obo"], env={"KGTOOL_FETCH_MIRROR": None})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "downloads" / "go-basic.obo").read_bytes() == b"format-version: 1.2\n"


def test_http_errors_and_unknown_sources_are_one_line_errors(tmp_path, server):
    code, out = run_fetch(tmp_path, server, "hgnc")
    assert code == 1 and "HTTP 404" in out and "hgnc_complete_set.txt" in out
    code, out = run_fetch(tmp_path, server, "string")
    assert code == 1 and "unknown source 'string'" in out and "string-links" in out


def test_the_catalogue_names_the_official_files():
    wanted = {"string-links", "string-info", "string-aliases", "go-obo", "go-gaf", "lincs-siginfo", "lincs-geneinfo",
              "lincs-compoundinfo", "lincs-level5", "repurposing-hub", "hgnc"}
    assert wanted <= set(fetch.CATALOG) | set(fetch.BUNDLES)
    hosts = {r.name: urlsplit(r.url) for r in fetch.REMOTES}
    assert all(u.scheme == "https" for u in hosts.values())
    assert {hosts[n].netloc for n in ("string-links", "string-info", "string-aliases")} == {"stringdb-downloads.org"}
    assert all(".v12.0/9606." in hosts[n].path for n in ("string-links", "string-info", "string-aliases"))
    assert fetch.CATALOG["go-obo"].url == "https://purl.obolibrary.org/obo/go/go-basic.obo"
    assert fetch.CATALOG["go-gaf"].url == "https://current.geneontology.org/annotations/goa_human.gaf.gz"
    for name in ("lincs-siginfo", "lincs-geneinfo", "lincs-compoundinfo", "lincs-level5"):
        assert fetch.CATALOG[name].url.startswith("https://s3.amazonaws.com/macchiato.clue.io/builds/LINCS2020/")
    assert fetch.CATALOG["lincs-level5"].filename.endswith(".gctx")
    assert [r.name for r in fetch.expand(["repurposing-hub", "repurposing-drugs"])] == [
        "repurposing-drugs", "repurposing-samples"]
    assert fetch.url_of(fetch.CATALOG["hgnc"], mirror="http://m/x/") == "http://m/x/hgnc_complete_set.txt"


def test_list_shows_every_source_and_its_address(tmp_path):
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "fetch", "--list"], env={"KGTOOL_FETCH_MIRROR": None})
    assert result.exit_code == 0, result.output
    for remote in fetch.REMOTES:
        assert f"{remote.name}  -> kgtool load {remote.loader}" in result.output
        assert remote.url in result.output
    assert "repurposing-hub  = repurposing-drugs + repurposing-samples" in result.output
    assert f"cache: {tmp_path / 'downloads'}" in result.output
