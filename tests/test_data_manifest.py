"""Manifest reading: good files parse, every bad one names the file and line."""

import pytest

from ncasr.data import ManifestError, read_manifest


def write(tmp_path, text, wavs=("a.wav", "b.wav")):
    for w in wavs:
        (tmp_path / w).write_bytes(b"RIFF")
    p = tmp_path / "m.tsv"
    p.write_text(text, encoding="utf-8")
    return p


def test_reads_relative_paths_optional_columns_and_comments(tmp_path):
    p = write(tmp_path, f"id\tpath\ttext\n# a comment\n\nu1\ta.wav\thello world\nu2\t{tmp_path / 'b.wav'}\tit's\tok\n")
    e = read_manifest(p)
    assert [x.id for x in e] == ["u1", "u2"]
    assert e[0].path == str(tmp_path / "a.wav")
    assert e[1].text == "it's\tok"  # text is last: tabs inside it are kept
    assert e[0].duration is None and e[0].line == 4


def test_duration_column(tmp_path):
    e = read_manifest(write(tmp_path, "path\tduration\ttext\na.wav\t1.25\thi\n"))
    assert e[0].duration == 1.25


@pytest.mark.parametrize(
    "text, line, message",
    [
        ("path\tduration\ttext\nmissing.wav\t1.0\thi\n", 2, "audio file not found"),
        ("path\tduration\ttext\na.wav\t1.0\thi\nb.wav\thi\n", 3, "expected 3 tab-separated fields"),
        ("path\tlanguage\ttext\na.wav\ten\thi\n", 1, "unknown column 'language'"),
        ("path\tduration\na.wav\t1.0\n", 1, "no 'text' column"),
        ("path\tduration\ttext\na.wav\tlong\thi\n", 2, "is not a number"),
        ("path\tduration\ttext\na.wav\t-1\thi\n", 2, "negative"),
        ("path\ttext\n\n", 2, "no utterances"),
        ("", 1, "empty manifest"),
    ],
)
def test_errors_name_file_and_line(tmp_path, text, line, message):
    p = write(tmp_path, text)
    with pytest.raises(ManifestError, match=message) as info:
        read_manifest(p)
    assert info.value.line == line
    assert str(info.value).startswith(f"{p}:{line}: ")


def test_missing_manifest(tmp_path):
    with pytest.raises(ManifestError, match="manifest file not found"):
        read_manifest(tmp_path / "nope.tsv")
