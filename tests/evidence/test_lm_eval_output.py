"""lm-eval's output as a user points scalegate at it: results named for ``--output_path run.json`` with their
samples files beside them, a results file without samples (and the note saying so), ``out/<model>/*``."""

from __future__ import annotations

import shutil
from pathlib import Path

from scalegate.evidence.bulk import find_logs
from scalegate.evidence.readers import read_results
from tests.evidence.conftest import EVIDENCE_FIXTURES

SOURCE = EVIDENCE_FIXTURES / "lm_eval"
RESULTS = next(SOURCE.glob("results_*.json"))
STAMP = RESULTS.stem.removeprefix("results_")


def _output(tmp_path: Path, *, samples: bool) -> Path:
    out = tmp_path / "out" / "acme__frontier-mini"
    out.mkdir(parents=True)
    shutil.copy(RESULTS, out / f"run_{STAMP}.json")
    if samples:
        for path in SOURCE.glob(f"samples_*_{STAMP}.jsonl"):
            shutil.copy(path, out / path.name)
    return out


def test_results_named_for_output_path_read_their_samples(tmp_path: Path) -> None:
    out = _output(tmp_path, samples=True)
    results = read_results(out / f"run_{STAMP}.json")
    with_samples = [r for r in results if r.info["samples_file"]]
    assert with_samples and any(s.has_samples for r in with_samples for s in r.scorers)
    assert all(not r.info["notes"] for r in with_samples)


def test_without_samples_a_note_says_the_interval_comes_from_the_reported_stderr(tmp_path: Path) -> None:
    out = _output(tmp_path, samples=False)
    for result in read_results(out / f"run_{STAMP}.json"):
        assert result.info["samples_file"] is None
        assert any("reported standard error" in note for note in result.info["notes"])


def test_every_file_of_the_folder_named_ingests_the_results_and_skips_the_samples(tmp_path: Path) -> None:
    out = _output(tmp_path, samples=True)
    files, skipped = find_logs(sorted(out.iterdir()))
    assert [f.path.name for f in files] == [f"run_{STAMP}.json"]
    assert skipped and all("read with the results file" in s.reason for s in skipped)
    folder_files, _ = find_logs([out])
    assert [f.path.name for f in folder_files] == [f"run_{STAMP}.json"]
