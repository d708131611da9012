"""The docs run as written: every shell, console and Python block of ``docs/`` and the README is executed,
in order, on a fresh workspace (a temporary directory as the working directory and home, the venv's
``scalegate`` first on PATH). Each block is its own test (``file:line``, within the 120 s a test may take on a
loaded machine); the blocks of one page share one directory, and a ``cd`` or ``export`` in one block holds for
the next, since later blocks build on earlier ones.

A command passes when it exits 0, or with the code its comment announces (``# exit 3: ...``), and prints no
traceback (nor an ``error:`` line, in a block whose commands all should succeed). A block that cannot run here
(it needs a server, an identity provider, systemd, the network, or files only the reader has) is marked on the
line before its fence with ``<!-- illustration: why -->``; a block another test already runs is marked
``<!-- run elsewhere: tests/FILE.py -->``. Each marked block is its own test, named ``file:line[mark]``, which
checks that the block still parses, so what is not run stays visible in every run's listing. Count them with
``pytest --collect-only -q tests/test_docs_run.py``.
Every other block names what it holds (``text`` for output and formats, or the language of a file shown): a
block with no language on its fence fails the run, so no command hides in one.

A page that follows the demo (``PREPARED``) finds in its directory the workspaces ``scalegate demo`` leaves
at the stage the page starts from. The demo is built once per session from the committed Inspect logs (a
real run of its stand-in tasks takes minutes; ``tests/consistency`` builds it the same way) and each stage
is copied as a template; a page's directory gets copies, so no page sees another's changes."""

from __future__ import annotations

import ast
import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.inspect_logs.make_logs import committed

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])
RUNNABLE = {"sh", "console", "python"}
FENCE = re.compile(r"^```(\w*)\s*$")
MARK = re.compile(r"^<!--\s*(illustration|run elsewhere):\s*(.+?)\s*-->\s*$")
EXPECTED_EXIT = re.compile(r"#.*?\bexit (\d+)")


@dataclass(frozen=True)
class Block:
    """One fenced block of a page: where it starts, its language, its text and the mark above it, if any."""

    page: str
    line: int
    language: str
    text: str
    mark: str | None
    reason: str | None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    def commands(self) -> str:
        """The block as a shell script: a console block keeps its ``$`` lines and their continuations (the
        rest is output); a Python block runs in the venv's interpreter from a here-document."""
        if self.language == "python":
            return f"python - <<'__SCALEGATE_DOC_PY__'\n{self.text}__SCALEGATE_DOC_PY__\n"
        if self.language == "sh":
            return self.text
        kept: list[str] = []
        continuing = False
        for line in self.text.splitlines():
            if line.startswith("$ "):
                kept.append(line[2:])
            elif continuing:
                kept.append(line)
            else:
                kept.append("")  # output: a blank line keeps the line numbers of the page
                continue
            continuing = line.rstrip().endswith("\\")
        return "\n".join(kept) + "\n"


def blocks_of(page: Path) -> list[Block]:
    """The runnable fenced blocks of ``page``, in order (files shown as examples, YAML or INI, are not)."""
    name = page.relative_to(ROOT).as_posix()
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    found: list[Block] = []
    for i, language, end in fences(lines):
        if language in RUNNABLE:
            mark = MARK.match(lines[i - 1]) if i else None
            found.append(
                Block(
                    page=name,
                    line=i + 1,
                    language=language,
                    text="".join(lines[i + 1 : end]),
                    mark=mark.group(1) if mark else None,
                    reason=mark.group(2) if mark else None,
                )
            )
    return found


def fences(lines: list[str]) -> Iterator[tuple[int, str, int]]:
    """(opening line index, language or "", closing line index) of each fenced block of a page's ``lines``; a
    fence left open runs to the end of the page, as Markdown renders it."""
    i = 0
    while i < len(lines):
        opened = FENCE.match(lines[i])
        if not opened:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() == "```"), len(lines))
        yield i, opened.group(1) or "", end
        i = end + 1


ALL_BLOCKS = [block for page in PAGES for block in blocks_of(page)]
RUN = [b for b in ALL_BLOCKS if b.mark is None]
MARKED = [b for b in ALL_BLOCKS if b.mark is not None]
STATE = "__scalegate_doc_state__"  # where a block leaves its shell's directory and exports for the next


@dataclass(frozen=True)
class Step:
    """One command of a block's script: the script lines it spans and the exit code its comment announces."""

    first: int
    last: int
    where: str
    expected: int


def script_of(block: Block, state: Path) -> tuple[str, list[Step]]:
    """The block as a bash script, with the commands it holds. The script starts in the directory and with
    the exports the page's previous block left, logs ``LINENO rc`` of each failing command from its ERR trap
    (a pipeline fails with its first failing command, so ``| jq`` hides nothing), and saves its own directory
    and exports for the next block."""
    restore = f'[ -f "{state}/env" ] && . "{state}/env"; [ -f "{state}/cwd" ] && cd "$(cat "{state}/cwd")"'
    script = [
        "set -o pipefail",
        restore,
        'trap \'__rc=$?; echo "$LINENO $__rc" >> "$SCALEGATE_DOC_EXITS"\' ERR',
    ]
    body = block.commands().splitlines()
    start = len(script) + 1
    script.extend(body)
    script.append(f'trap - ERR; pwd > "{state}/cwd"; export -p > "{state}/env"')
    if block.language == "python":
        return "\n".join(script) + "\n", [Step(start, start + len(body) - 1, block.where, 0)]
    steps: list[Step] = []
    j = 0
    while j < len(body):
        first = j
        while body[j].rstrip().endswith("\\") and j + 1 < len(body):
            j += 1
        text = "\n".join(body[first : j + 1])
        announced = EXPECTED_EXIT.search(text)
        if text.strip() and not text.lstrip().startswith("#"):
            expected = int(announced.group(1)) if announced else 0
            steps.append(Step(start + first, start + j, f"{block.page}:{block.line + 1 + first}", expected))
        j += 1
    return "\n".join(script) + "\n", steps


def fresh_env(home: Path) -> dict[str, str]:
    """The reader's environment: no SCALEGATE_* from the test run, home and keys in the page's directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCALEGATE_")}
    env.update(
        HOME=str(home),
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        SCALEGATE_AUDIT_KEY_DIR=str(home / "audit-keys"),
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
    )
    return env


PREPARED: dict[str, dict[str, str]] = {
    "docs/walkthrough.md": {"demo-workspace": "propose", "demo-v3": "rsp-v3"},
    "docs/cli/reports.md": {"demo-workspace": "sign"},
}
"""Pages that start from the demo: directory name -> the stage of ``scalegate demo`` it holds (``propose``:
what ``scalegate demo`` leaves while it serves the dashboard; ``sign``: that workspace once the walkthrough's
sign-off is done; ``rsp-v3``: what ``scalegate demo --no-serve`` leaves)."""
DEMO_EVALS = ("wmdp_bio", "lab_bench_protocolqa", "swe_bench", "cybench")
KEYS = "audit-keys"  # the audit key directory of a page (fresh_env) and of a demo template


@pytest.fixture(scope="session")
def demo_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo walked once, a copy of its directory (with its audit keys) kept after each stage a page
    starts from. The workspace lives at a relative path, as ``scalegate demo`` makes it, so that its outbox
    follows the copy."""
    from scalegate.evidence.service import ingest_file
    from scalegate.testing import demo

    root = tmp_path_factory.mktemp("demo-build")
    stages = {stage for wanted in PREPARED.values() for stage in wanted.values()}
    logs = committed("gate")
    copies: dict[str, Path] = {}

    def keep(stage: str) -> None:
        if stage in stages:
            with contextlib.closing(
                sqlite3.connect(root / "demo-workspace" / ".scalegate" / "scalegate.db")
            ) as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the copy is then the database file alone
            copies[stage] = tmp_path_factory.mktemp(f"demo-{stage}")
            shutil.copytree(root, copies[stage], dirs_exist_ok=True)

    with pytest.MonkeyPatch.context() as patch, contextlib.chdir(root):
        patch.setenv("SCALEGATE_AUDIT_KEY_DIR", str(root / KEYS))
        patch.delenv("SCALEGATE_NOW", raising=False)
        state = demo.fresh_state(Path("demo-workspace"))
        try:
            demo.seed(state)
            for name in DEMO_EVALS:  # the demo's `evaluate`, with the committed logs of its stand-in tasks
                ingest_file(state.workspace, state.people["eve"], logs[name], state.ref)
            for stage, step in (
                ("safeguard", demo.safeguard),
                ("propose", demo.propose),
                ("sign", demo.sign),
                ("rsp-v3", demo.adopt_v3),
            ):
                step(state)
                keep(stage)
        finally:
            state.workspace.close()
    return copies


@pytest.fixture(scope="module")
def page_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One fresh workspace directory per page, shared by the page's blocks in order."""
    return {page: tmp_path_factory.mktemp("doc") for page in sorted({b.page for b in RUN})}


def prepare(page: str, home: Path, request: pytest.FixtureRequest) -> None:
    """Before the first block of a page that follows the demo: copy in the workspaces it starts from, their
    audit keys into the page's key directory."""
    marker = home / STATE / "prepared"
    if page not in PREPARED or marker.exists():
        return
    templates: dict[str, Path] = request.getfixturevalue("demo_templates")
    for name, stage in PREPARED[page].items():
        shutil.copytree(templates[stage] / "demo-workspace", home / name)
        if (templates[stage] / KEYS).is_dir():  # the first signed checkpoint creates the first key
            shutil.copytree(templates[stage] / KEYS, home / KEYS, dirs_exist_ok=True)
    marker.write_text("")


@pytest.mark.slow  # each block starts the CLI once a command: seconds each, more on a loaded machine
@pytest.mark.parametrize("block", RUN, ids=[b.where for b in RUN])
def test_the_block_runs_as_written(
    block: Block, page_dirs: dict[str, Path], request: pytest.FixtureRequest
) -> None:
    home = page_dirs[block.page]
    state = home / STATE
    state.mkdir(exist_ok=True)
    prepare(block.page, home, request)
    exits = state / "exits"
    exits.write_text("")
    script, steps = script_of(block, state)
    (state / "script.sh").write_text(script, encoding="utf-8")
    ran = subprocess.run(
        ["bash", str(state / "script.sh")],
        cwd=home,
        env={**fresh_env(home), "SCALEGATE_DOC_EXITS": str(exits)},
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    failed = {int(n): int(rc) for n, rc in (row.split() for row in exits.read_text().splitlines())}
    wrong = []
    for step in steps:
        rc = next((failed[n] for n in range(step.first, step.last + 1) if n in failed), 0)
        if rc != step.expected:
            wrong.append(f"{step.where}: exit {rc}, the page says {step.expected}")
    output = ran.stdout + ran.stderr
    assert steps, f"{block.where} holds no command"
    assert wrong == [], "\n".join(wrong) + "\n" + output[-4000:]
    assert "Traceback (most recent call last)" not in output, output[-4000:]
    if all(step.expected == 0 for step in steps):  # a failure hidden by `a && b` or `|| echo` still says so
        assert not re.search(r"^error: ", ran.stderr, flags=re.M), output[-4000:]


@pytest.mark.parametrize("block", MARKED, ids=[f"{b.where}[{b.mark}]" for b in MARKED])
def test_a_marked_block_still_parses(block: Block) -> None:
    """A block that is not run here still parses and says why it is not run; a block run elsewhere names a
    test file that exists."""
    assert block.reason and len(block.reason) > 5
    if block.mark == "run elsewhere":
        other = ROOT / block.reason.split()[0]
        assert other.is_file(), f"{block.where}: {other} does not exist"
    if block.language == "python":
        ast.parse(block.text, filename=block.where)
    else:
        checked = subprocess.run(
            ["bash", "-n"], input=block.commands(), capture_output=True, text=True, timeout=30, check=False
        )
        assert checked.returncode == 0, f"{block.where}: {checked.stderr}"


def test_every_mark_sits_above_a_runnable_block() -> None:
    """Every mark sits right above a runnable block's fence, so none is lost on a block it does not
    describe."""
    marks = [
        (page.relative_to(ROOT).as_posix(), n)
        for page in PAGES
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1)
        if MARK.match(line)
    ]
    assert sorted(marks) == sorted((b.page, b.line - 1) for b in MARKED)


def untagged_fences(page: Path) -> list[str]:
    """``page:line`` of each block of ``page`` whose opening fence names no language."""
    name = page.relative_to(ROOT).as_posix()
    lines = page.read_text(encoding="utf-8").splitlines()
    return [f"{name}:{i + 1}" for i, language, _ in fences(lines) if not language]


def test_every_block_names_its_language() -> None:
    """A block with no language is neither run nor marked, so a command in it could rot unseen: every fence
    says what it holds (``sh``, ``console`` or ``python``, which run or are marked; ``text`` for output and
    formats; or the language of a file shown)."""
    untagged = [where for page in PAGES for where in untagged_fences(page)]
    assert not untagged, f"blocks with no language (tag them sh, console, python or text): {untagged}"
