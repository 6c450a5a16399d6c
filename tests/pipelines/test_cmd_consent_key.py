"""`consent import` and `forget` refuse the public demo key outside the demo (exit 2) and warn
about a key file other users can read (GB/T 45654-2025 4.2.3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpusgate.pipelines.cli import main
from corpusgate.source_registry.consent import ConsentStore

REPO = Path(__file__).resolve().parents[2]
DEMO_KEY_FILE = REPO / "demo/consent/DEMO-ONLY.key"
DEMO_KEY = DEMO_KEY_FILE.read_bytes().strip().decode()
GRANTS = "identifier,type,scope,granted_at,revoked_at,evidence\n13912340001,mobile,general,2024-05-01,,CF-1\n"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def consent_import(
    capsys: pytest.CaptureFixture[str], grants: Path, store: str, key_file: Path
) -> tuple[int, str, str]:
    return cli(
        capsys, "consent", "import", str(grants), "--store", store, "--key-file", str(key_file),
        "--json",
    )  # fmt: skip


@pytest.fixture(autouse=True)
def no_ambient_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORPUSGATE_CONSENT_KEY", raising=False)
    monkeypatch.delenv("CORPUSGATE_STORE_URL", raising=False)


def run_config(tmp_path: Path, registry: Path, key_file: Path) -> Path:
    registry.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "run.yaml"
    config.write_text(
        f"registry: {registry}\nstore: sqlite:///{tmp_path}/cfg.sqlite\n"
        f"output: {tmp_path}/out\npii:\n  consent_key_file: {key_file}\n"
    )
    return config


@pytest.mark.parametrize("given_as", ["key-file", "env", "config"])
def test_consent_import_refuses_the_demo_key_for_real_data(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    given_as: str,
) -> None:
    grants = tmp_path / "grants.csv"
    grants.write_text(GRANTS)
    store = f"sqlite:///{tmp_path}/s.sqlite"
    args = ["consent", "import", str(grants), "--store", store]
    if given_as == "key-file":
        args += ["--key-file", str(DEMO_KEY_FILE)]
    elif given_as == "env":
        monkeypatch.setenv("CORPUSGATE_CONSENT_KEY", DEMO_KEY)
    else:
        args += ["--config", str(run_config(tmp_path, tmp_path / "registry", DEMO_KEY_FILE))]
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == ""
    assert "public demo key" in err and "openssl rand -hex 32" in err
    assert DEMO_KEY not in err
    assert ConsentStore(store).grants() == []  # nothing imported


def test_consent_import_takes_the_demo_key_for_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = f"sqlite:///{tmp_path}/s.sqlite"
    grants = REPO / "demo/consent/grants.csv"
    code, out, err = consent_import(capsys, grants, store, DEMO_KEY_FILE)
    assert code == 0, err
    assert json.loads(out)["added"] > 0 and err == ""  # a public key: no permission warning


@pytest.mark.parametrize(("mode", "warned"), [(0o644, True), (0o600, False)])
def test_consent_import_warns_about_a_key_file_others_can_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: int, warned: bool
) -> None:
    key = tmp_path / "consent.key"
    key.write_text("a-key-of-our-own-0123456789abcdef\n")
    key.chmod(mode)
    grants = tmp_path / "grants.csv"
    grants.write_text(GRANTS)
    code, out, err = consent_import(capsys, grants, f"sqlite:///{tmp_path}/s.sqlite", key)
    assert code == 0 and json.loads(out)["added"] == 1  # stdout stays one JSON document
    assert ("warning:" in err and "chmod 600" in err and str(key) in err) is warned
    assert "a-key-of-our-own" not in err


@pytest.mark.parametrize("given_as", ["env", "config"])
def test_forget_refuses_the_demo_key_outside_the_demo(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    given_as: str,
) -> None:
    args = ["forget", "alice.example@example.com", "--output", str(tmp_path / "out")]
    if given_as == "env":
        monkeypatch.setenv("CORPUSGATE_CONSENT_KEY", DEMO_KEY)
        args += ["--store", f"sqlite:///{tmp_path}/s.sqlite"]
    else:
        args += ["--config", str(run_config(tmp_path, tmp_path / "data/registry", DEMO_KEY_FILE))]
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == ""
    assert "public demo key" in err and DEMO_KEY not in err
