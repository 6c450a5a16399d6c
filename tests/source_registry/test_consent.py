"""The consent store: keyed hashes, file import with per-line errors, lookups, append-only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from corpusgate.source_registry.consent import (
    KEY_ENV,
    ConsentFileError,
    ConsentKeyError,
    ConsentStore,
    check_key_use,
    in_demo_folder,
    is_demo_key,
    load_key,
    read_consent_file,
    read_key,
)
from corpusgate.transforms.pii.consent import ConsentIndex, Grant, subject_key

KEY = b"k" * 32
HEADER = "identifier,type,scope,granted_at,revoked_at,evidence\n"
GOOD = HEADER + (
    "13912340001,mobile,general,2024-05-01T00:00:00+08:00,,CF-1\n"
    "Alice.Example@Example.com,email,separate,2024-05-01,,CF-2\n"
    "110101199003071233,CN_RESIDENT_ID,separate,2024-05-01T00:00:00Z,2024-07-01T00:00:00Z,SC-3\n"
)


def t(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


def test_key_sources_in_order_and_a_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    keyfile = tmp_path / "k.key"
    keyfile.write_text("f" * 40 + "\n")
    assert load_key(str(keyfile), env={KEY_ENV: "e" * 20}) == b"f" * 40  # explicit file wins
    assert load_key(None, env={KEY_ENV: "e" * 20}, config_key_file=str(keyfile)) == b"e" * 20
    assert load_key(None, env={}, config_key_file=str(keyfile)) == b"f" * 40
    with pytest.raises(ConsentKeyError, match=KEY_ENV):
        load_key(None, env={})
    with pytest.raises(ConsentKeyError, match="at least 16"):
        load_key(None, env={KEY_ENV: "short"})
    with pytest.raises(ConsentKeyError, match="cannot be read"):
        load_key(str(tmp_path / "absent.key"), env={})


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (("CN_MOBILE", "139 1234 0001"), ("CN_MOBILE", "+86-13912340001"), True),
        (("CN_MOBILE", "13912340001"), ("PHONE_NUMBER", "+86 139 1234 0001"), True),
        (("EMAIL_ADDRESS", "A@Example.COM"), ("EMAIL_ADDRESS", "a@example.com"), True),
        (("CN_RESIDENT_ID", "11010119900307123x"), ("CN_RESIDENT_ID", "11010119900307123X"), True),
        (("CN_MOBILE", "13912340001"), ("CN_MOBILE", "13912340002"), False),
    ],
)
def test_subject_keys_follow_the_normalised_identifier(a, b, same) -> None:  # type: ignore[no-untyped-def]
    assert (subject_key(KEY, *a) == subject_key(KEY, *b)) is same
    assert subject_key(KEY, *a) != subject_key(b"x" * 32, *a)  # the key matters
    assert len(subject_key(KEY, *a)) == 64


def test_a_good_file_is_hashed_on_the_way_in(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(GOOD)
    grants = read_consent_file(path, KEY)
    assert [g.scope for g in grants] == ["general", "separate", "separate"]
    assert grants[0].identifier_type == "CN_MOBILE" and grants[1].identifier_type == "EMAIL_ADDRESS"
    assert grants[0].granted_at == t("2024-04-30T16:00:00")
    assert grants[2].revoked_at == t("2024-07-01T00:00:00")
    assert all("139" not in repr(g) and "@" not in repr(g) for g in grants)
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text(
        '{"identifier": "13912340001", "type": "mobile", "scope": "general", '
        '"granted_at": "2024-05-01T00:00:00+08:00", "evidence": "CF-1"}\n\n'
    )
    assert read_consent_file(jsonl, KEY)[0].subject_key == grants[0].subject_key


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("13912340001,fax,general,2024-05-01,,CF", "unknown type 'fax'"),
        ("11010119900307123X,resident_id,separate,2024-05-01,,CF", "bad_checksum"),
        ("12345678901,mobile,general,2024-05-01,,CF", "not a valid CN_MOBILE"),
        ("alice.example.com,email,general,2024-05-01,,CF", "no @"),
        ("13912340001,mobile,blanket,2024-05-01,,CF", "scope 'blanket'"),
        ("13912340001,mobile,general,yesterday,,CF", "bad date"),
        ("13912340001,mobile,general,2024-05-01,2024-04-01,CF", "not after granted_at"),
        ("13912340001,mobile,general,2024-05-01,,", "missing evidence"),
        ("13912340001,mobile,general,2024-05-01,,CF,extra", "more cells"),
    ],
)
def test_bad_lines_fail_the_file_by_line_without_echoing_identifiers(
    tmp_path: Path, line: str, message: str
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(GOOD + line + "\n")
    with pytest.raises(ConsentFileError) as err:
        read_consent_file(path, KEY)
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith("c.csv:5: ") and message in str(err.value)
    assert line.split(",")[0] not in str(err.value)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("c.csv", "phone,scope\n1,general\n", "header lacks column"),
        ("c.jsonl", "[1, 2]\n{oops\n", "not a JSON object"),
        ("c.txt", "x", "unsupported file type"),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(ConsentFileError, match=message):
        read_consent_file(tmp_path / name, KEY)


def test_import_is_idempotent_and_the_tables_are_append_only(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(GOOD)
    store = ConsentStore(f"sqlite:///{tmp_path}/s.sqlite")
    assert store.add_grants(read_consent_file(path, KEY)) == (3, 0)
    assert store.add_grants(read_consent_file(path, KEY)) == (0, 3)
    # A revocation is a new row for the same grant.
    path.write_text(
        HEADER + "13912340001,mobile,general,2024-05-01T00:00:00+08:00,"
        "2024-06-01T00:00:00+08:00,CF-1\n"
    )
    assert store.add_grants(read_consent_file(path, KEY)) == (1, 0)
    index = ConsentStore(f"sqlite:///{tmp_path}/s.sqlite").load_index()
    mobile = subject_key(KEY, "CN_MOBILE", "13912340001")
    assert index.lookup(mobile, "general", t("2024-05-15T00:00:00")) is not None
    assert index.lookup(mobile, "general", t("2024-06-15T00:00:00")) is None
    store.record_withdrawal(
        mobile,
        request_id="r1",
        reason="asked",
        output=None,
        record_ids=["a" * 32],
        at=t("2024-07-01T00:00:00"),
    )
    for statement in (
        "UPDATE consents SET scope = 'separate'",
        "DELETE FROM consents",
        "DELETE FROM withdrawals",
        "UPDATE withdrawals SET records = 0",
    ):
        with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(statement))
    assert store.load_index().is_withdrawn(mobile)
    assert store.withdrawal_history(mobile)[0]["records"] == 1


def grant(scope: str, granted: str, revoked: str | None = None, ref: str = "CF") -> Grant:
    return Grant("s", "CN_MOBILE", scope, t(granted), t(revoked) if revoked else None, ref)


@pytest.mark.parametrize(
    ("grants", "needed", "when", "expected"),
    [
        ([grant("general", "2024-01-01")], "general", "2024-02-01", "general"),
        ([grant("general", "2024-01-01")], "separate", "2024-02-01", None),  # wrong scope
        ([grant("separate", "2024-01-01")], "general", "2024-02-01", "separate"),  # covers
        ([grant("general", "2024-03-01")], "general", "2024-02-01", None),  # granted later
        ([grant("general", "2024-01-01", "2024-02-01")], "general", "2024-02-01", None),
        ([grant("general", "2024-01-01", "2024-02-01")], "general", "2024-01-31", "general"),
        # The newest row of a grant is its state: a later revocation row wins.
        (
            [grant("general", "2024-01-01"), grant("general", "2024-01-01", "2024-01-15")],
            "general",
            "2024-02-01",
            None,
        ),
        # Two grants, one revoked: the other still holds.
        (
            [
                grant("general", "2024-01-01", "2024-01-15", "A"),
                grant("general", "2024-01-10", ref="B"),
            ],
            "general",
            "2024-02-01",
            "general",
        ),
        ([grant("general", "2024-01-01")], "general", None, None),  # no collection time
    ],
)
def test_lookup(grants, needed, when, expected) -> None:  # type: ignore[no-untyped-def]
    hit = ConsentIndex(grants).lookup("s", needed, t(when) if when else None)
    assert (hit.scope if hit else None) == expected
    assert ConsentIndex(grants, withdrawn={"s"}).lookup("s", needed, t("2024-02-01")) is None


# ---------------------------------------------------------------------------------------------
# The public demo key and key-file permissions (GB/T 45654-2025 4.2.3)

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demo"
DEMO_KEY = (DEMO / "consent/DEMO-ONLY.key").read_bytes().strip()


def copy_of_demo(root: Path) -> Path:
    """A demo folder elsewhere, as a test or a user copying the walkthrough has it."""
    (root / "demo/consent").mkdir(parents=True)
    (root / "demo/registry").mkdir()
    (root / "demo/consent/DEMO-ONLY.key").write_bytes(DEMO_KEY + b"\n")
    return root / "demo"


def test_the_demo_key_is_known_by_its_hash() -> None:
    assert is_demo_key(DEMO_KEY)
    assert not is_demo_key(DEMO_KEY[:-1] + b"0")
    assert not is_demo_key(KEY)
    assert in_demo_folder(DEMO / "registry") and in_demo_folder(DEMO)
    assert not in_demo_folder(REPO / "configs")


@pytest.mark.parametrize(
    ("registry", "allowed"),
    [
        ("repo-demo", True),  # the repository's demo registry
        ("copy", True),  # a copy of the demo folder, key file included
        ("copy-sources", True),  # anything inside that copy
        ("named-demo", False),  # a folder called demo without the demo's key file
        ("elsewhere", False),
        (None, False),  # no registry named: not the demo
    ],
)
@pytest.mark.parametrize("given_as", ["file", "env"])
def test_the_demo_key_is_refused_outside_the_demo(
    tmp_path: Path, registry: str | None, allowed: bool, given_as: str
) -> None:
    copy = copy_of_demo(tmp_path / "c")
    (tmp_path / "n/demo/registry").mkdir(parents=True)
    (tmp_path / "e/registry").mkdir(parents=True)
    where = {
        "repo-demo": DEMO / "registry",
        "copy": copy / "registry",
        "copy-sources": copy / "sources/tickets",
        "named-demo": tmp_path / "n/demo/registry",
        "elsewhere": tmp_path / "e/registry",
        None: None,
    }[registry]
    if given_as == "file":
        keyfile = tmp_path / "somewhere.key"  # a copy under another name is the same key
        keyfile.write_bytes(DEMO_KEY + b"\n")
        keyfile.chmod(0o644)
        key = read_key(str(keyfile), env={})
    else:
        key = read_key(None, env={KEY_ENV: DEMO_KEY.decode()})
    if allowed:
        # The demo key is public: no warning about who can read its file.
        assert check_key_use(key, where) == []
        return
    with pytest.raises(ConsentKeyError) as err:
        check_key_use(key, where)
    message = str(err.value)
    assert "public demo key" in message and "openssl rand -hex 32" in message
    assert ("$" + KEY_ENV if given_as == "env" else "somewhere.key") in message
    assert DEMO_KEY.decode() not in message
    # The bare bytes are refused the same way.
    with pytest.raises(ConsentKeyError):
        check_key_use(key.value, where)


@pytest.mark.parametrize(
    ("mode", "warned"),
    [(0o600, False), (0o400, False), (0o640, True), (0o604, True), (0o620, True), (0o644, True)],
)
def test_a_key_file_other_users_can_open_gets_a_warning(
    tmp_path: Path, mode: int, warned: bool
) -> None:
    keyfile = tmp_path / "consent.key"
    keyfile.write_bytes(KEY)
    keyfile.chmod(mode)
    key = read_key(str(keyfile), env={})
    warnings = check_key_use(key, tmp_path / "registry")
    assert bool(warnings) is warned
    if warned:
        (warning,) = warnings
        assert str(keyfile) in warning and "chmod 600" in warning
        assert KEY.decode() not in warning
    # Given as bytes plus the file it came from, the same answer.
    assert check_key_use(key.value, tmp_path, key_file=keyfile) == warnings


def test_a_key_from_the_environment_has_no_file_to_warn_about(tmp_path: Path) -> None:
    key = read_key(None, env={KEY_ENV: KEY.decode()})
    assert (key.origin, key.path) == ("$" + KEY_ENV, None)
    assert check_key_use(key, tmp_path) == []
    assert KEY.decode() not in repr(key)
