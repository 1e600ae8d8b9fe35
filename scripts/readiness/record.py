"""Run one command and keep what `make report` needs to judge it: its exit status, its output,
when and on what machine it ran, and exactly which code it ran on.

    python scripts/readiness/record.py NAME [--evidence DIR] [--note KEY=VALUE ...]
        [--result FILE --keep RECORD] -- COMMAND [ARG...]

Writes DIR/NAME/meta.json and DIR/NAME/output.log (DIR is var/evidence by default); the command
writes its own artefacts (JUnit XML, coverage JSON, results) into DIR/NAME/, which is emptied
first so that nothing from an earlier run can pass for this one. Exits with the command's status.

With --result, the results file the command writes (wherever it writes it) is copied to
DIR/NAME/result.json when this run wrote it. The full load, fault and benchmark runs cannot run
in CI, so their results are also kept in the repository: with --keep, RECORD (docs/evidence/*.json,
committed) gets {"meta": ..., "result": ...} when this run wrote the results, whether it met its
targets or missed them.

Standard library only, so that it can wrap any target's command whatever that target installs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_EVIDENCE = ROOT / "var" / "evidence"


def git(*args: str, root: Path = ROOT, env: dict[str, str] | None = None) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            check=True,
            env=env,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def working_tree(root: Path = ROOT) -> str | None:
    """The git tree of the files as they are on disk (tracked changes and new files included).

    The commit alone would not do: a run on uncommitted changes measured code that no commit
    holds. Built in a throwaway index, so the user's staging area is left alone; the tree object
    is written to the repository's object store, where `make report` diffs it later.
    """
    with tempfile.TemporaryDirectory() as scratch:
        scratch_index = Path(scratch) / "index"
        env = dict(os.environ, GIT_INDEX_FILE=str(scratch_index))
        index = git("rev-parse", "--path-format=absolute", "--git-path", "index", root=root)
        if index and Path(index).is_file():
            # A copy of the real index keeps its file stat cache: only changed files are hashed.
            shutil.copyfile(index, scratch_index)
        elif git("read-tree", "HEAD", root=root, env=env) is None:
            return None
        if git("add", "--all", "--", ".", root=root, env=env) is None:
            return None
        return git("write-tree", root=root, env=env)


def code_identity(root: Path = ROOT) -> dict[str, Any]:
    commit = git("rev-parse", "HEAD", root=root)
    changed = git("status", "--porcelain", "--untracked-files=no", root=root)
    return {
        "commit": commit,
        "tree": working_tree(root) if commit else None,
        "uncommitted_changes": bool(changed),
    }


def machine() -> dict[str, Any]:
    try:
        first = Path("/proc/meminfo").read_text().split("\n")[0].split()
        memory_gib: float | None = round(int(first[1]) / 1024 / 1024, 1)
    except (OSError, IndexError, ValueError):
        memory_gib = None
    return {
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "memory_gib": memory_gib,
        "system": f"{platform.system()} {platform.release()}",
        "arch": platform.machine(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "ci": bool(os.environ.get("CI")),
    }


def utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def make_dry_run() -> bool:
    """Under `make -n` the recipes that call $(MAKE) still run: record nothing then."""
    flags = os.environ.get("MAKEFLAGS", "").split(" ", 1)[0]
    return not flags.startswith("-") and "n" in flags


def run(
    name: str,
    evidence: Path,
    command: list[str],
    notes: dict[str, str] | None = None,
    result: Path | None = None,
    keep: Path | None = None,
    root: Path = ROOT,
) -> int:
    folder = evidence / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    meta: dict[str, Any] = {
        "name": name,
        # Paths relative to the checkout: records are committed, the checkout's place is not theirs.
        "command": [arg.replace(f"{root}/", "") for arg in command],
        "started": utc_now(),
        "notes": notes or {},
        **code_identity(root),
        "machine": machine(),
    }
    # Written now without an exit status: a run that never finishes is seen as such.
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    started = time.monotonic()
    started_epoch = time.time()
    # The output goes to the terminal as it comes and to output.log (steps are read from it).
    with (folder / "output.log").open("wb") as log:
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        except OSError as error:  # the program is missing: a failed run, like the shell's 127
            log.write(f"record: {error}\n".encode())
            print(f"record: {error}", file=sys.stderr)
            status = 127
        else:
            for line in iter(process.stdout.readline, b""):  # type: ignore[union-attr]
                sys.stdout.buffer.write(line)
                sys.stdout.buffer.flush()
                log.write(line)
            status = process.wait()
    meta.update(
        finished=utc_now(),
        duration_s=round(time.monotonic() - started, 1),
        exit_code=status,
    )
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    if result is not None:
        take_result(meta, folder, result, keep, started_epoch)
    return status


def take_result(
    meta: dict[str, Any], folder: Path, result: Path, keep: Path | None, since: float
) -> None:
    try:
        fresh = result.stat().st_mtime >= since
    except OSError:
        fresh = False
    if not fresh:
        print(f"record: this run wrote no {result}; nothing kept")
        return
    data = json.loads(result.read_text())
    (folder / "result.json").write_text(json.dumps(data, indent=2) + "\n")
    if keep is not None:
        keep.parent.mkdir(parents=True, exist_ok=True)
        keep.write_text(json.dumps({"meta": meta, "result": data}, indent=2) + "\n")
        print(f"record: kept this run's results in {keep}: commit it, `make report` reads it")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="the evidence's name: its folder under --evidence")
    parser.add_argument("--evidence", type=Path, default=DEFAULT_EVIDENCE)
    parser.add_argument("--note", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--result", type=Path, help="the results file the command writes")
    parser.add_argument("--keep", type=Path, help="where to keep meta and results (committed)")
    argv = sys.argv[1:]
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        parser.error("give the command after --")
    split = argv.index("--")
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    notes = dict(note.partition("=")[::2] for note in args.note)
    if make_dry_run():
        return subprocess.call(command)
    try:
        return run(args.name, args.evidence, command, notes, args.result, args.keep)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
