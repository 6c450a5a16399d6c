"""`forget` and `consent import` on the command line: inputs, keys and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpusgate.pipelines.cli import main
from corpusgate.pipelines.cli.forget import subject_keys
from corpusgate.transforms.output.published import OutputError
from corpusgate.transforms.output.withdrawals import records_of
from corpusgate.transforms.pii.consent import subject_key

KEY = b"forget-test-key-0123456789"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("Alice@Example.com", "EMAIL_ADDRESS"),
        ("110101199003071233", "CN_RESIDENT_ID"),
        ("139-1234-0001", "CN_MOBILE"),
        ("E12345678", "CN_PASSPORT"),
        ("010-62345678", "CN_LANDLINE"),
    ],
)
def test_subject_types_are_recognised(value: str, kind: str) -> None:
    assert subject_keys([value], None, KEY) == [subject_key(KEY, kind, value)]


@pytest.mark.parametrize(
    ("values", "type_name", "message"),
    [
        (["hello"], None, "subject #1: cannot tell"),
        (["13912340001", "11010119900307123X"], "resident_id", "subject #1: not a valid"),
        (["x"], "fax", "--type 'fax'"),
    ],
)
def test_bad_subjects_are_named_by_position_not_value(values, type_name, message) -> None:  # type: ignore[no-untyped-def]
    from corpusgate.pipelines.cli import CliError

    with pytest.raises(CliError, match=message) as err:
        subject_keys(values, type_name, KEY)
    assert "13912340001" not in str(err.value)


def test_records_of_reads_only_the_keys_buckets(tmp_path: Path) -> None:
    import pyarrow as pa

    from corpusgate.transforms.output.filelist import write_file_list, write_table
    from corpusgate.transforms.output.published import Published

    written = [
        write_table(
            str(tmp_path),
            "index/pii_subjects",
            f"index/pii_subjects/{bucket}.parquet",
            pa.table({"key": [k for k, _ in rows], "value": [v for _, v in rows]}),
            row_group_size=10,
        )
        for bucket, rows in (
            ("a", [("a1", "r2"), ("a2", "r1")]),
            ("b", [("b1", "r1"), ("b1", "r2")]),
        )
    ]
    write_file_list(str(tmp_path / "files.parquet"), written)
    manifest = {"run_id": "r", "pair_indexes": {"pii_subjects": {"digits": 1}}}
    published = Published(str(tmp_path), manifest, str(tmp_path))
    assert records_of(published, {"b1", "a2"}) == {"b1": ["r1", "r2"], "a2": ["r1"]}
    assert records_of(published, {"c9"}) == {}
    (tmp_path / "index/pii_subjects/a.parquet").write_bytes(b"changed")
    with pytest.raises(OutputError, match="is damaged"):
        records_of(published, {"a1"})
    assert records_of(Published(str(tmp_path), {"run_id": "r"}, str(tmp_path)), {"b1"}) == {}


def test_forget_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORPUSGATE_CONSENT_KEY", raising=False)
    monkeypatch.delenv("CORPUSGATE_STORE_URL", raising=False)
    store = f"sqlite:///{tmp_path}/s.sqlite"
    code, _, err = cli(
        capsys, "forget", "a@example.com", "--store", store, "--output", str(tmp_path)
    )
    assert code == 2 and "no consent key" in err
    monkeypatch.setenv("CORPUSGATE_CONSENT_KEY", KEY.decode())
    code, _, err = cli(capsys, "forget", "--store", store, "--output", str(tmp_path))
    assert code == 2 and "at least one SUBJECT" in err
    code, _, err = cli(
        capsys, "forget", "a@example.com", "--store", store, "--output", str(tmp_path / "none")
    )
    assert code == 1 and "no manifest.json" in err
    code, _, err = cli(capsys, "forget", "a@example.com", "--output", str(tmp_path))
    assert code == 2 and "no store" in err


def test_consent_import_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORPUSGATE_CONSENT_KEY", KEY.decode())
    store = f"sqlite:///{tmp_path}/s.sqlite"
    path = tmp_path / "c.csv"
    path.write_text(
        "identifier,type,scope,granted_at,revoked_at,evidence\n"
        "13912340001,mobile,general,2024-05-01,,CF-1\n"
    )
    code, out, _ = cli(capsys, "consent", "import", str(path), "--store", store, "--json")
    assert code == 0 and json.loads(out) | {"store": "-"} == {
        "file": str(path),
        "store": "-",
        "lines": 1,
        "added": 1,
        "already_present": 0,
    }
    code, out, _ = cli(capsys, "consent", "import", str(path), "--store", store)
    assert code == 0 and "0 added, 1 already" in out
    path.write_text(path.read_text() + "13912340001,mobile,forever,2024-05-01,,CF-1\n")
    code, _, err = cli(capsys, "consent", "import", str(path), "--store", store)
    assert code == 2 and "c.csv:3: scope 'forever'" in err and "13912340001" not in err


@pytest.mark.parametrize("command", [["forget"], ["consent", "import"]])
def test_help_teaches(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and "examples:" in out and "CORPUSGATE_CONSENT_KEY" in out
