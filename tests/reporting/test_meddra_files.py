"""Reading MedDRA's $-separated distribution: the synthetic fixture reads back, and each
kind of damage is named by file, line and rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reporting.fixtures import write_fixture
from warehouse.reporting import meddra_files
from warehouse.reporting.meddra_files import MeddraFileError, read_distribution, read_release


def test_the_synthetic_distribution_reads_back_with_its_release(tmp_path: Path) -> None:
    folder = write_fixture(tmp_path)["ru"]
    dist = read_distribution(folder)
    assert (dist.version, dist.language) == ("90.0", "russian")
    assert len(dist.llt) == 4 * len(dist.pt)
    assert sum(1 for row in dist.llt if not row[3]) == len(dist.pt)  # one non-current per PT
    assert any(name == "Головная боль" for _, name, _, _ in dist.llt)
    assert all(primary for *_, primary in dist.paths)
    assert len(dist.sha256) == 64


def _corrupt(folder: Path, file: str, line: int, new: str) -> None:
    path = folder / file
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[line - 1] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "line", "content", "message"),
    [
        ("llt.asc", 3, "1234$Bad code$91000000$$$$$$$Y$$", "llt.asc line 3: llt_code '1234'"),
        ("llt.asc", 2, "92000001$$91000000$$$$$$$Y$$", "llt.asc line 2: llt_name must be"),
        ("llt.asc", 4, "92000003$Term$91000000$$$$$$$X$$", "llt.asc line 4: llt_currency"),
        ("llt.asc", 1, "92000000$Short$91000000$", "llt.asc line 1: 3 fields"),
        ("llt.asc", 1, "92000000$Orphan$99999999$$$$$$$Y$$", "names PT 99999999, not in pt.asc"),
        (
            "mdhier.asc",
            1,
            "91000000$95000000$94000000$93000000$a$b$c$d$e$$93000000$N$",
            "PT 91000000 has no primary SOC path",
        ),
    ],
)
def test_a_damaged_line_is_named_with_its_rule(
    tmp_path: Path, file: str, line: int, content: str, message: str
) -> None:
    folder = write_fixture(tmp_path)["en"]
    _corrupt(folder, file, line, content)
    with pytest.raises(MeddraFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_distribution(folder)


def test_a_missing_file_or_release_is_named(tmp_path: Path) -> None:
    folder = write_fixture(tmp_path)["en"]
    (folder / "meddra_release.asc").unlink()
    assert read_release(folder) is None
    with pytest.raises(MeddraFileError, match="give the version and the language"):
        read_distribution(folder)
    assert read_distribution(folder, "90.0", "English").version == "90.0"
    (folder / "hlt_pt.asc").unlink()
    with pytest.raises(MeddraFileError, match="hlt_pt.asc is missing"):
        read_distribution(folder, "90.0", "English")


def test_oversized_files_and_wrong_encodings_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_fixture(tmp_path)["ru"]
    with pytest.raises(MeddraFileError, match="not cp1252 text"):
        read_distribution(folder, encoding="cp1252")
    monkeypatch.setattr(meddra_files, "MAX_LINES", 10)
    with pytest.raises(MeddraFileError, match="llt.asc has more than 10 lines"):
        read_distribution(folder)
    monkeypatch.setattr(meddra_files, "MAX_FILE_BYTES", 100)
    with pytest.raises(MeddraFileError, match="llt.asc is .* bytes; at most 100"):
        read_distribution(folder)
