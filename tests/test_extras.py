"""Optional dependencies: the core installs light, and a missing extra fails with one line naming it.

Nothing is uninstalled: each check runs in a fresh interpreter where ``sys.modules[name] = None`` makes
``import name`` fail exactly as it would were the package absent.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from scalegate.extras import EXTRAS, requires_extra

ROOT = Path(__file__).resolve().parents[1]
EVERY_EXTRA_MODULE = sorted(set().union(*EXTRAS.values()))


def _run(blocked: list[str], code: str, *args: str) -> subprocess.CompletedProcess[str]:
    shim = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in blocked)
    return subprocess.run(
        [sys.executable, "-c", shim + code, *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def _one_line_naming(text: str, extra: str) -> None:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert f"pip install 'scalegate[{extra}]'" in lines[0]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "code", "extra"),
    [
        ("fastapi", "import scalegate.web", "web"),
        ("transformers", "import scalegate.sdk.callbacks", "ml"),
        ("matplotlib", "from scalegate.reports.plots import _pyplot; _pyplot()", "reports"),
        ("zstandard", "from scalegate.evidence.container import _ZstdFrames; _ZstdFrames()", "inspect"),
        (
            "psycopg",
            "from scalegate.store.engine import make_engine; make_engine('postgresql+psycopg://u@localhost/x')",
            "postgres",
        ),
    ],
)
def test_a_missing_extra_is_one_line_naming_it(module: str, code: str, extra: str) -> None:
    guarded = (
        "from scalegate.errors import MissingExtraError\n"
        "try:\n"
        + "".join(f"    {line}\n" for line in code.split("; "))
        + "except MissingExtraError as exc:\n"
        "    assert isinstance(exc, ImportError) and exc.exit_code == 1\n"
        "    print(exc)\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
    )
    result = _run([module], guarded)
    assert result.returncode == 0, result.stderr
    _one_line_naming(result.stdout, extra)
    assert repr(module) in result.stdout


def test_the_cli_says_which_extra_to_install() -> None:
    result = _run(["fastapi"], "from scalegate.cli.entry import main; main()", "serve")
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    _one_line_naming(result.stderr, "web")


def test_an_unrelated_import_error_is_not_disguised() -> None:
    with pytest.raises(ModuleNotFoundError), requires_extra("web", "something"):
        import scalegate_no_such_module  # type: ignore[import-not-found]  # noqa: F401


@pytest.mark.slow
def test_the_core_runs_with_no_extra_installed(tmp_path: Path) -> None:
    """The SDK, the gate and the store work when every extra's modules are missing."""
    code = (
        "import sys\n"
        "from scalegate.sdk import Client\n"
        "from scalegate.workspace import init_workspace\n"
        "ws = init_workspace('sqlite:///' + sys.argv[1], 'anthropic-rsp-2.2')\n"
        "result = Client(ws.url).gate('nothing-registered', 'deploy-external')\n"
        "print(result.outcome)\n"
        "extra = set(sys.argv[2].split(','))\n"
        "loaded = [m for m in sys.modules if m.partition('.')[0] in extra and sys.modules[m]]\n"
        "assert not loaded, loaded\n"
    )
    result = _run(EVERY_EXTRA_MODULE, code, str(tmp_path / "s.db"), ",".join(EVERY_EXTRA_MODULE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pause"  # an unknown model fails closed


def test_pyproject_declares_the_extras_and_a_light_core() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = project["optional-dependencies"]
    assert set(EXTRAS) <= set(optional)
    assert optional["all"] == ["scalegate[web,reports,inspect,postgres]"]
    core = {re.split(r"[\[<>=~!; ]", req, maxsplit=1)[0].lower() for req in project["dependencies"]}
    assert {"pydantic", "sqlalchemy", "typer", "httpx"} <= core
    heavy = {"fastapi", "uvicorn", "weasyprint", "matplotlib", "inspect-ai", "psycopg", "torch", "jinja2"}
    assert not heavy & core
