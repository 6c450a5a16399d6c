"""The personal-information step: the decision core as a table, then the Beam stage."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from corpusgate.pipelines.config import load_config
from corpusgate.pipelines.curate import consent_for
from corpusgate.schemas.records import new_lineage
from corpusgate.source_registry.consent import ConsentStore
from corpusgate.transforms.common.settings import SettingsError, parse_settings
from corpusgate.transforms.pii.consent import (
    ConsentIndex,
    Grant,
    subject_key,
    subject_key_of_normalized,
)
from corpusgate.transforms.pii.consent_lookup import decide, with_class_actions
from corpusgate.transforms.pii.detector import shared_detector
from corpusgate.transforms.pii.policy import PiiPolicy
from corpusgate.transforms.pii.redact import redact
from corpusgate.transforms.pii.stage import SUBJECTS, PiiSettings, PiiSpec, language_of
from corpusgate.transforms.spine.check_stage import CheckStage
from corpusgate.transforms.spine.checks import PAIRS, QUARANTINE, RECORDS

KEY = b"stage-test-key-0123456789"
MOBILE, EMAIL, ID = "13912340001", "alice.example@example.com", "110101199003071233"
JUNE = datetime(2024, 6, 3, tzinfo=UTC)
MAY = datetime(2024, 5, 1, tzinfo=UTC)


def g(kind: str, value: str, scope: str, revoked: datetime | None = None) -> Grant:
    return Grant(subject_key(KEY, kind, value), kind, scope, MAY, revoked, f"form-{value[:3]}")


INDEX = ConsentIndex(
    [
        g("CN_MOBILE", MOBILE, "general"),
        g("EMAIL_ADDRESS", EMAIL, "general"),
        g("CN_RESIDENT_ID", ID, "general"),  # general only: not enough for a sensitive identifier
    ]
)
SEPARATE = ConsentIndex([g("CN_RESIDENT_ID", ID, "separate")])


def keyer(normalized: str) -> str:
    return subject_key_of_normalized(KEY, normalized)


@pytest.mark.parametrize(
    ("text", "lang", "index", "sensitive", "outcome", "expected_text", "actions"),
    [
        ("没有个人信息。", "zh", INDEX, "drop", "pass", "没有个人信息。", []),
        (
            f"请打我手机{MOBILE}联系",
            "zh",
            INDEX,
            "drop",
            "pass",
            f"请打我手机{MOBILE}联系",
            [("CN_MOBILE", "keep")],
        ),
        (
            "电话18611112222",
            "zh",
            INDEX,
            "drop",
            "redact",
            "电话<CN_MOBILE>",
            [("CN_MOBILE", "redact")],
        ),
        (
            f"mail {EMAIL} or bob@example.org",
            "en",
            INDEX,
            "drop",
            "redact",
            f"mail {EMAIL} or <EMAIL_ADDRESS>",
            [("EMAIL_ADDRESS", "keep"), ("EMAIL_ADDRESS", "redact")],
        ),
        # The same mobile written the English way finds the same consent.
        (
            "call +86 139 1234 0001 today",
            "en",
            INDEX,
            "drop",
            "pass",
            "call +86 139 1234 0001 today",
            [("PHONE_NUMBER", "keep")],
        ),
        (
            f"身份证号{ID}",
            "zh",
            INDEX,
            "drop",
            "fail",
            "身份证号<CN_RESIDENT_ID>",
            [("CN_RESIDENT_ID", "drop")],
        ),
        (
            f"身份证号{ID}",
            "zh",
            SEPARATE,
            "drop",
            "pass",
            f"身份证号{ID}",
            [("CN_RESIDENT_ID", "keep")],
        ),
        # The packaged policy redacts sensitive identifiers whatever the consent.
        (
            f"身份证号{ID}",
            "zh",
            SEPARATE,
            None,
            "redact",
            "身份证号<CN_RESIDENT_ID>",
            [("CN_RESIDENT_ID", "redact")],
        ),
        ("", "zh", INDEX, "drop", "pass", "", []),
    ],
)
def test_decide(text, lang, index, sensitive, outcome, expected_text, actions) -> None:  # type: ignore[no-untyped-def]
    policy = with_class_actions(PiiPolicy.load(), {"sensitive": sensitive} if sensitive else None)
    entities = shared_detector().detect(text, lang)
    d = decide(text, entities, policy, index, keyer, JUNE, redact)
    assert d.outcome == outcome
    assert d.text == expected_text
    got = sorted((e["entity_type"], e["action"]) for e in d.entities for _ in range(e["count"]))
    assert got == sorted(actions)
    assert (
        d.redactions == sum(1 for _, a in actions if a != "keep")
        if outcome == "fail"
        else d.redactions == sum(1 for _, a in actions if a == "redact")
    )
    assert len(d.kept_subjects) == (
        0 if outcome == "fail" else len({a for a in actions if a[1] == "keep"})
    )
    assert all(v not in repr(d.__dict__) or v in expected_text for v in (MOBILE, EMAIL, ID))


def test_consent_must_hold_at_collection_time() -> None:
    text = f"请打我手机{MOBILE}"
    entities = shared_detector().detect(text, "zh")
    policy = PiiPolicy.load()
    revoked = ConsentIndex([g("CN_MOBILE", MOBILE, "general", revoked=JUNE)])
    assert decide(text, entities, policy, revoked, keyer, JUNE, redact).outcome == "redact"
    assert decide(text, entities, policy, revoked, keyer, MAY, redact).outcome == "pass"
    assert decide(text, entities, policy, INDEX, keyer, None, redact).outcome == "redact"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"secret": "drop"}, "unknown class"),
        ({"sensitive": "burn"}, "not one of"),
        (["drop"], "must map"),
    ],
)
def test_bad_class_action_overrides(overrides, error) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=error):
        with_class_actions(PiiPolicy.load(), overrides)


@pytest.mark.parametrize(
    ("text", "declared", "source", "expected"),
    [
        ("hello 你好世界", None, ("zh", "en"), "zh"),
        ("hello world 你", None, ("zh", "en"), "en"),
        ("hello", None, ("zh",), "zh"),
        ("你好", "en", ("zh",), "en"),
        ("", None, (), "en"),
    ],
)
def test_language_of(
    text: str, declared: str | None, source: tuple[str, ...], expected: str
) -> None:
    assert language_of(text, declared, source) == expected


def record(rid: str, text: str) -> dict:
    lineage = new_lineage(
        registry_entry_sha256="e",
        origin={"uri": "f", "kind": "line", "position": 1},
        run_id="r",
        config_sha256="c",
    )
    lineage["collected_at"] = JUNE
    return {"record_id": rid, "source_id": "src", "text": text, "lineage": lineage}


def run_config(tmp_path: Path, pii: dict | None) -> Any:
    """A run config in tmp_path with this `pii` section (None: no section at all)."""
    (tmp_path / "registry").mkdir(exist_ok=True)
    text = f"registry: registry\nstore: sqlite:///{tmp_path}/store.sqlite\noutput: out\n"
    if pii is not None:
        text += "pii: " + json.dumps(pii) + "\n"
    (tmp_path / "run.yaml").write_text(text)
    return load_config(tmp_path / "run.yaml")


def stage_for(tmp_path: Path, pii: dict) -> CheckStage:
    config = run_config(tmp_path, pii)
    key, index, _ = consent_for(config, config.store_url)
    return CheckStage(PiiSpec.settle(config.pii, key=key, index=index, languages={}))


def test_the_stage_keeps_redacts_drops_and_emits_the_subject_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORPUSGATE_CONSENT_KEY", raising=False)
    (tmp_path / "k.key").write_bytes(KEY + b"\n")
    (tmp_path / "grants.csv").write_text(
        "identifier,type,scope,granted_at,revoked_at,evidence\n"
        f"{MOBILE},mobile,general,2024-05-01,,CF-1\n{ID},resident_id,general,2024-05-01,,CF-2\n"
    )
    settings = {
        "consent_key_file": "k.key",
        "consent_files": ["grants.csv"],
        "class_actions": {"sensitive": "drop"},
    }
    check = stage_for(tmp_path, settings)
    stage_for(tmp_path, settings)  # importing the consent file again adds nothing
    assert len(ConsentStore(f"sqlite:///{tmp_path}/store.sqlite").grants()) == 2
    rows = [
        record("a" * 32, f"手机{MOBILE}"),
        record("b" * 32, "邮箱 x.y@example.cn"),
        record("c" * 32, f"身份证{ID}"),
        record("d" * 32, "nothing here"),
    ]
    with TestPipeline(runner="FnApiRunner") as p:
        out = p | beam.Create(copy.deepcopy(rows)) | check
        assert_that(
            out[RECORDS]
            | "K"
            >> beam.Map(
                lambda r: (
                    r["record_id"][0],
                    r["text"],
                    r["lineage"]["pii"]["redactions"],
                    [c["ref"] for c in r["lineage"]["consent"]],
                )
            ),
            equal_to(
                [
                    ("a", f"手机{MOBILE}", 0, ["CF-1"]),
                    ("b", "邮箱 <EMAIL_ADDRESS>", 1, []),
                    ("d", "nothing here", 0, []),
                ]
            ),
            label="kept",
        )
        assert_that(
            out[QUARANTINE]
            | "Q" >> beam.Map(lambda q: (q["record_id"][0], q["check"], q["reason"], q["text"])),
            equal_to(
                [("c", "consent", "sensitive_pii_no_separate_consent", "身份证<CN_RESIDENT_ID>")]
            ),
            label="quarantined",
        )
        assert_that(
            out[PAIRS],
            equal_to([(SUBJECTS, subject_key(KEY, "CN_MOBILE", MOBILE), "a" * 32)]),
            label="subjects",
        )


def test_the_stage_refuses_to_build_without_a_key_or_with_bad_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CORPUSGATE_CONSENT_KEY", raising=False)
    with pytest.raises(ValueError, match="no consent key"):
        stage_for(tmp_path, {"class_actions": {"sensitive": "drop"}})
    # No pii section at all: the stage runs, consulting no consent, and says so.
    config = run_config(tmp_path, None)
    key, index, warnings = consent_for(config, config.store_url)
    assert key == b"" and len(index) == 0 and "no consent key" in warnings[0]
    monkeypatch.setenv("CORPUSGATE_CONSENT_KEY", KEY.decode())
    with pytest.raises(SettingsError, match=r"unknown key 'pii\.consent_key'; did you mean"):
        parse_settings(PiiSettings, {"consent_key": "x"}, prefix="pii")
    with pytest.raises(ValueError, match="unknown class"):
        stage_for(tmp_path, {"class_actions": {"secret": "drop"}})
    (tmp_path / "bad.csv").write_text("identifier,type,scope,granted_at,evidence\n1,fax,x,y,z\n")
    with pytest.raises(ValueError, match=r"bad\.csv:2"):
        stage_for(tmp_path, {"consent_files": ["bad.csv"]})
