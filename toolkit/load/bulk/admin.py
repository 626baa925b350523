"""Running ``neo4j-admin database import full`` over a bulk import's CSV files: the command line
(:func:`import_command`; :func:`external_import_command` for a server kgtool does not manage), the run (:func:`run_import`) and its most telling error line
(:func:`admin_error`). The server must be stopped meanwhile (:mod:`toolkit.server.offline`)."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Optional

from toolkit.load.bulk.csv_files import CsvFiles
from toolkit.server.manager import ManagedNeo4j


def _delimiter_option(char: str) -> str:
    return char if char.isprintable() and char not in " ," else f"U+{ord(char):04X}"


def import_args(files: CsvFiles, database: str, staging: Optional[Path], work_dir: Path) -> list[str]:
    """The ``neo4j-admin`` arguments (after ``database import full``); the database name comes first
    because ``--nodes``/``--relationships`` take a variable number of files. ``staging``: the data
    directory to write into (None: the server's own, for a server kgtool does not manage)."""
    args = [database, "--verbose", "--overwrite-destination=true"]
    if staging is not None:
        conf = work_dir / "import.conf"
        conf.write_text(f"server.directories.data={staging}\n", encoding="utf-8")
        args.append(f"--additional-config={conf}")
    args += [
        f"--report-file={work_dir / 'import.report'}", "--bad-tolerance=0",
        "--delimiter=,", f"--array-delimiter={_delimiter_option(files.array_delimiter)}", '--quote="',
        "--legacy-style-quoting=false", "--ignore-empty-strings=false", "--trim-strings=false",
        f"--multiline-fields={'true' if files.multiline else 'false'}",
    ]
    args += [f"--nodes={label}={path}" if label else f"--nodes={path}" for label, path in files.nodes]
    args += [f"--relationships={rel}={path}" for rel, path in files.rels]
    return args


_SKIP = re.compile(
    r"^(at |\.\.\. \d+ more|\.{10}|WARNING Import failed|Run with '--verbose'|Executing command line|"
    r"VM |JIT |Configuration files|-{5}|org\.neo4j\.cli\.CommandFailedException: Error importing csv file)"
)


def admin_error(output: str) -> str:
    """neo4j-admin's most telling error line: the bad field's ``original error`` with its file and
    line, else the innermost ``Caused by``, else the last error-looking line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith("original error:"):
            message = lines[i][len("original error:"):].strip()
            for back in range(i - 1, max(i - 6, -1), -1):
                found = re.search(r"source:([^,\]]+), position:\d+, line:(\d+)", lines[back])
                if found:
                    return _short(f"{Path(found.group(1)).name}, neo4j-admin line {found.group(2)}: {message}")
            return _short(message)
    causes = [line for line in lines if line.startswith("Caused by:")]
    if causes:
        text = causes[-1][len("Caused by:"):].strip()
        return _short(re.sub(r"^[\w.$]+(Exception|Error): ", "", text))
    meaningful = [line for line in lines if not _SKIP.match(line)]
    errors = [line for line in meaningful if re.search(r"ERROR|Error|Exception|Invalid|FATAL|failed", line)]
    return _short((errors or meaningful or ["no output"])[-1])


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 400 else text[:397] + "..."


def import_command(server: ManagedNeo4j, files: CsvFiles, database: str, staging: Path, work_dir: Path) -> list[str]:
    """The whole ``neo4j-admin database import full`` command line, writing into ``staging``."""
    return server.admin_command("database", "import", "full", *import_args(files, database, staging, work_dir))


def external_import_command(files: CsvFiles, database: str, work_dir: Path) -> list[str]:
    """The command to run on the machine of a server kgtool does not manage (stopped, or the database
    stopped), from the folder that holds neo4j-admin."""
    return ["neo4j-admin", "database", "import", "full", *import_args(files, database, None, work_dir)]


def run_import(server: ManagedNeo4j, cmd: list[str], work_dir: Path) -> tuple[str | None, float]:
    """Run the import (the server stopped); its output goes to ``work_dir/import.log``. Returns the
    failure (one line, None when it succeeded) and the seconds neo4j-admin ran."""
    tic = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=server.admin_env(), cwd=work_dir, capture_output=True, text=True,
                              check=False)
    except OSError as exc:
        return f"could not run neo4j-admin: {exc}", 0.0
    seconds = time.perf_counter() - tic
    (work_dir / "import.log").write_text(proc.stdout + "\n" + proc.stderr, encoding="utf-8")
    if proc.returncode != 0:
        return admin_error(proc.stdout + "\n" + proc.stderr), seconds
    return None, seconds
