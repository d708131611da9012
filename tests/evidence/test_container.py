"""The central directory of a zip container read in one pass gives what ``zipfile`` gives, or leaves the
archive to ``zipfile`` when it is not a plain one."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from scalegate.evidence.container import ContainerError, Member, ZipContainer, _central_directory, _member
from tests.evidence.conftest import write_zip, zip_members


def _zipfile_members(path: Path) -> dict[str, Member]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: _member(info) for info in archive.infolist()}


def _one_pass(path: Path) -> dict[str, Member] | None:
    with path.open("rb") as file:
        return _central_directory(file)


@pytest.mark.parametrize("name", ["success", "epochs", "scorers_errors", "deflate"])
def test_the_one_pass_reads_what_zipfile_reads(inspect_logs: dict[str, Path], name: str) -> None:
    assert _one_pass(inspect_logs[name]) == _zipfile_members(inspect_logs[name])


def test_a_name_written_twice_is_its_last_member(tmp_path: Path) -> None:
    path = tmp_path / "twice.zip"
    with zipfile.ZipFile(path, "w") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("header.json", b"{}")
        archive.writestr("header.json", b'{"second": true}')
    members = _one_pass(path)
    assert members is not None and members == _zipfile_members(path)
    with ZipContainer(path) as container:
        assert container.read_json("header.json") == {"second": True}


def test_bytes_before_the_archive_are_allowed_as_zipfile_allows_them(
    inspect_logs: dict[str, Path], tmp_path: Path
) -> None:
    path = tmp_path / "prefixed.eval"
    path.write_bytes(b"#!/bin/sh\n" * 10 + inspect_logs["success"].read_bytes())
    members = _one_pass(path)
    assert members is not None and members == _zipfile_members(path)
    with ZipContainer(path) as container:
        assert container.read_json("header.json")["status"] == "success"


def test_an_archive_with_a_comment_is_left_to_zipfile(inspect_logs: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "comment.eval"
    members = zip_members(inspect_logs["success"])
    write_zip(path, [(info.filename, data) for info, data in members])
    with zipfile.ZipFile(path, "a") as archive:
        archive.comment = b"written by hand"
    assert _one_pass(path) is None
    with ZipContainer(path) as container:
        assert container.read_json("header.json")["status"] == "success"


def test_a_zip64_archive_is_left_to_zipfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.zip"
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # ZIP64 end records from the second member on
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("header.json", b'{"version": 2}')
        archive.writestr("summaries.json", b"[]")
    assert _one_pass(path) is None
    with ZipContainer(path) as container:
        assert container.read_json("header.json") == {"version": 2}
        assert container.names() == {"header.json", "summaries.json"}


def test_a_truncated_directory_is_refused_as_before(inspect_logs: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "cut.eval"
    path.write_bytes(inspect_logs["success"].read_bytes()[:-200])
    assert _one_pass(path) is None
    with pytest.raises(ContainerError, match="not a readable zip archive"):
        ZipContainer(path)
