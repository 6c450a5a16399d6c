"""Licence policy engine: expression semantics, aliases, policy loading, shipped alias table."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest

from corpusgate.schemas.reasons import LICENCE_NOT_ALLOWED, LICENCE_UNKNOWN
from corpusgate.transforms.provenance.licences import (
    ALLOWED,
    ALLOWED_WITH_OBLIGATIONS,
    NOT_ALLOWED,
    UNKNOWN,
    LicencePolicy,
    alias_key,
    check_licence,
    choose_licence,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
ATTR = ("attribution",)
ATTR_SA = ("attribution", "share_alike")


@pytest.fixture(scope="module")
def policy() -> LicencePolicy:
    return LicencePolicy.load(None)


# (expression, ok, reason, class, obligations, normalized spdx)
CASES = [
    ("MIT", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR, "MIT"),
    ("mit", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR, "MIT"),
    ("  Apache-2.0  ", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR, "Apache-2.0"),
    ("CC0-1.0", True, "", ALLOWED, (), "CC0-1.0"),
    # OR: the provider picks the best alternative, and its obligations only.
    ("MIT OR GPL-3.0-only", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR, "MIT OR GPL-3.0-only"),
    ("GPL-3.0-only OR CC0-1.0", True, "", ALLOWED, (), "GPL-3.0-only OR CC0-1.0"),
    ("CC-BY-NC-4.0 OR MIT", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR, "CC-BY-NC-4.0 OR MIT"),
    # unknown beats not_allowed under OR: the unknown alternative might allow it.
    ("CC-BY-NC-4.0 OR LicenseRef-foo", False, LICENCE_UNKNOWN, UNKNOWN, (), None),
    # AND: the worst class, obligations unioned.
    ("CC-BY-NC-4.0 AND MIT", False, LICENCE_NOT_ALLOWED, NOT_ALLOWED, ATTR, None),
    ("CC-BY-SA-4.0 AND MIT", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR_SA, None),
    ("CC-BY-NC-4.0 AND LicenseRef-foo", False, LICENCE_NOT_ALLOWED, NOT_ALLOWED, ATTR, None),
    ("MIT AND LicenseRef-foo", False, LICENCE_UNKNOWN, UNKNOWN, ATTR, None),
    (
        "(MIT OR CC-BY-NC-4.0) AND (CC-BY-SA-3.0 OR GPL-2.0-or-later)",
        True,
        "",
        ALLOWED_WITH_OBLIGATIONS,
        ATTR_SA,
        "(MIT OR CC-BY-NC-4.0) AND (CC-BY-SA-3.0 OR GPL-2.0-or-later)",
    ),
    ("mit and apache-2.0", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR, "MIT AND Apache-2.0"),
    # WITH: X's class; the exception is kept in the normalized expression.
    (
        "Apache-2.0 WITH LLVM-exception",
        True,
        "",
        ALLOWED_WITH_OBLIGATIONS,
        ATTR,
        "Apache-2.0 WITH LLVM-exception",
    ),
    (
        "GPL-2.0-only WITH Classpath-exception-2.0",
        True,
        "",
        ALLOWED_WITH_OBLIGATIONS,
        ATTR_SA,
        None,
    ),
    ("CC-BY-NC-4.0 WITH LLVM-exception", False, LICENCE_NOT_ALLOWED, NOT_ALLOWED, ATTR, None),
    # Deprecated and "+" ids come out in current SPDX spelling.
    ("GPL-2.0+", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR_SA, "GPL-2.0-or-later"),
    ("GPL-3.0", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR_SA, "GPL-3.0-only"),
    # Non-SPDX names seen in the wild.
    ("CC BY-NC 4.0", False, LICENCE_NOT_ALLOWED, NOT_ALLOWED, ATTR, "CC-BY-NC-4.0"),
    ("Apache License 2.0", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR, "Apache-2.0"),
    ("Apache License, Version 2.0", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR, "Apache-2.0"),
    ("MIT License", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR, "MIT"),
    ("The MIT License (MIT)", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR, "MIT"),
    ("cc-by-sa-3.0", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR_SA, "CC-BY-SA-3.0"),
    ("CC BY-SA 4.0", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR_SA, "CC-BY-SA-4.0"),
    ("GPLv3", True, "", ALLOWED_WITH_OBLIGATIONS, ATTR_SA, "GPL-3.0-only"),
    (
        "Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International",
        False,
        LICENCE_NOT_ALLOWED,
        NOT_ALLOWED,
        ATTR_SA,
        "CC-BY-NC-SA-4.0",
    ),
    ("CC0", True, "", ALLOWED, (), "CC0-1.0"),
    (
        "https://creativecommons.org/licenses/by/4.0/legalcode",
        True,
        "",
        ALLOWED_WITH_OBLIGATIONS,
        ATTR,
        "CC-BY-4.0",
    ),
    # DPI paraphrase filed under GPL-3.0; the text names the AGPL.
    (
        "GNU Affero General Public License v3.0",
        True,
        "",
        ALLOWED_WITH_OBLIGATIONS,
        ATTR_SA,
        "AGPL-3.0-only",
    ),
    (
        "MIT License OR CC BY-NC 4.0",
        True,
        "",
        ALLOWED_WITH_OBLIGATIONS,
        ATTR,
        "MIT OR CC-BY-NC-4.0",
    ),
    (
        "Apache License 2.0 AND CC BY-SA 4.0",
        True,
        "",
        ALLOWED_WITH_OBLIGATIONS,
        ATTR_SA,
        "Apache-2.0 AND CC-BY-SA-4.0",
    ),
    # Use restrictions and no-derivatives.
    ("Research Only", False, LICENCE_NOT_ALLOWED, NOT_ALLOWED, None, None),
    ("Custom (non-commercial)", False, LICENCE_NOT_ALLOWED, NOT_ALLOWED, (), None),
    ("PolyForm-Noncommercial-1.0.0", False, LICENCE_NOT_ALLOWED, NOT_ALLOWED, ATTR, None),
    ("CC-BY-ND-4.0", False, LICENCE_NOT_ALLOWED, NOT_ALLOWED, ATTR, "CC-BY-ND-4.0"),
    ("CC-BY-NC-ND-4.0", False, LICENCE_NOT_ALLOWED, NOT_ALLOWED, ATTR, "CC-BY-NC-ND-4.0"),
    # Unknowns: nothing stated, names nobody can read, and "Creative Commons" (might be NC).
    ("", False, LICENCE_UNKNOWN, UNKNOWN, (), ""),
    ("   ", False, LICENCE_UNKNOWN, UNKNOWN, (), ""),
    (None, False, LICENCE_UNKNOWN, UNKNOWN, (), ""),
    ("NOASSERTION", False, LICENCE_UNKNOWN, UNKNOWN, (), ""),
    ("NONE", False, LICENCE_UNKNOWN, UNKNOWN, (), ""),
    ("Unspecified", False, LICENCE_UNKNOWN, UNKNOWN, (), ""),
    ("LicenseRef-foo", False, LICENCE_UNKNOWN, UNKNOWN, (), "LicenseRef-foo"),
    ("garbage string here", False, LICENCE_UNKNOWN, UNKNOWN, (), None),
    ("MIT/Apache-2.0", False, LICENCE_UNKNOWN, UNKNOWN, (), None),
    ("MIT OR", False, LICENCE_UNKNOWN, UNKNOWN, (), None),
    ("Apache-2.0 WITH", False, LICENCE_UNKNOWN, UNKNOWN, (), None),
    ("Creative Commons", False, LICENCE_UNKNOWN, UNKNOWN, (), None),
    ("Llama 2", False, LICENCE_UNKNOWN, UNKNOWN, (), None),
    ("BUSL-1.1", False, LICENCE_UNKNOWN, UNKNOWN, (), "BUSL-1.1"),
    ("许可证", False, LICENCE_UNKNOWN, UNKNOWN, (), None),
]


@pytest.mark.parametrize(("expression", "ok", "reason", "cls", "obligations", "spdx"), CASES)
def test_check_licence_table(policy, expression, ok, reason, cls, obligations, spdx):
    verdict = check_licence(expression, policy, has_authorization=False)
    assert (verdict.ok, verdict.reason, verdict.licence_class) == (ok, reason, cls), verdict
    if obligations is not None:
        assert verdict.obligations == obligations
    if spdx is not None:
        assert verdict.spdx == spdx
    assert verdict.detail


def test_detail_names_the_deciding_key(policy):
    verdict = check_licence("MIT AND CC-BY-NC-4.0", policy, has_authorization=False)
    assert verdict.detail.startswith("CC-BY-NC-4.0: not_allowed")
    assert "MIT" not in verdict.detail  # MIT did not decide
    chosen = check_licence("GPL-3.0-only OR Apache-2.0", policy, has_authorization=False)
    assert chosen.detail.startswith("Apache-2.0:")
    alias = check_licence("CC BY-NC 4.0", policy, has_authorization=False)
    assert "'CC BY-NC 4.0' read as CC-BY-NC-4.0 (alias)" in alias.detail


@pytest.mark.parametrize(
    ("expression", "ok", "detail_part"),
    [
        (None, True, "no licence; authorization document"),
        ("", True, "no licence; authorization document"),
        ("NOASSERTION", True, "no licence; authorization document"),
        ("LicenseRef-bespoke", True, "used under authorization document"),
        # An authorization document does not override a licence the policy refuses.
        ("CC-BY-NC-4.0", False, "not_allowed"),
        ("MIT", True, "MIT:"),
    ],
)
def test_authorization_document(policy, expression, ok, detail_part):
    verdict = check_licence(expression, policy, has_authorization=True)
    assert verdict.ok is ok
    assert detail_part in verdict.detail
    if expression in (None, ""):
        assert verdict.detail == "no licence; authorization document"


@pytest.mark.parametrize(
    ("record", "entry", "expected"),
    [
        ("CC-BY-4.0", "MIT", ("CC-BY-4.0", "record")),
        (None, "MIT", ("MIT", "entry")),
        ("  ", "MIT", ("MIT", "entry")),
        (None, None, (None, "none")),
        ("", "", (None, "none")),
    ],
)
def test_record_licence_decides_for_its_record(record, entry, expected):
    assert choose_licence(record, entry) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Apache License, Version 2.0", "apache-2.0"),
        ("CC-BY-NC-4.0", "Creative Commons Attribution-NonCommercial 4.0 International"),
        ("GPLv3", "gpl-3"),
        ("CC BY- SA 4.0", "cc-by-sa-4.0"),
        ("ＭＩＴ", "mit"),  # full-width letters (NFKC)
    ],
)
def test_alias_key_meets(a, b):
    assert alias_key(a) == alias_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("CC-BY-4.0", "CC-BY-NC-4.0"),
        ("GPL-2.0-only", "GPL-2.0+"),
        ("MIT", "MIT-0"),
        ("CC-BY-2.5", "CC-BY-2.0"),
    ],
)
def test_alias_key_keeps_apart(a, b):
    assert alias_key(a) != alias_key(b)


def _policy_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


MINIMAL = """\
    provider_use: {use}
    on_unknown: {unknown}
    groups:
      nc: {{class: allowed_with_obligations, obligations: [attribution], permits: non_commercial}}
      ok: {{class: allowed}}
      gpl_ok: {{class: allowed}}
    licences:
      LicenseRef-ours: ok
    patterns:
      - {{match: "CC-BY-NC-*", group: nc}}
    exceptions:
      Classpath-exception-2.0: gpl_ok
"""


def test_non_commercial_provider_may_use_nc(tmp_path):
    policy = LicencePolicy.load(
        _policy_file(tmp_path, MINIMAL.format(use="non_commercial", unknown="quarantine"))
    )
    verdict = check_licence("CC BY-NC 4.0", policy, has_authorization=False)
    assert (verdict.ok, verdict.obligations) == (True, ATTR)
    assert check_licence("LicenseRef-ours", policy, has_authorization=False).ok
    # Not listed and no ScanCode fallback in this policy: unknown.
    assert check_licence("MIT", policy, has_authorization=False).reason == LICENCE_UNKNOWN


def test_listed_exception_decides(tmp_path):
    policy = LicencePolicy.load(
        _policy_file(tmp_path, MINIMAL.format(use="commercial", unknown="quarantine"))
    )
    verdict = check_licence(
        "GPL-2.0-only WITH Classpath-exception-2.0", policy, has_authorization=False
    )
    assert (verdict.ok, verdict.licence_class) == (True, ALLOWED)
    assert "policy exception" in verdict.detail
    nc = check_licence("CC-BY-NC-4.0", policy, has_authorization=False)
    assert nc.reason == LICENCE_NOT_ALLOWED


def test_unknown_as_not_allowed(tmp_path):
    policy = LicencePolicy.load(
        _policy_file(tmp_path, MINIMAL.format(use="commercial", unknown="not_allowed"))
    )
    verdict = check_licence("LicenseRef-other", policy, has_authorization=False)
    assert (verdict.ok, verdict.reason, verdict.licence_class) == (
        False,
        LICENCE_NOT_ALLOWED,
        UNKNOWN,
    )
    # A missing licence with an authorization document is still usable.
    assert check_licence(None, policy, has_authorization=True).ok


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("provider_use: profit\n", "provider_use 'profit'"),
        ("provider_use: commercial\nextra: 1\n", "unknown top-level key"),
        ("provider_use: commercial\non_unknown: allow\n", "on_unknown 'allow'"),
        ("provider_use: commercial\ngroups:\n  g: {class: fine}\n", "class 'fine'"),
        ("provider_use: commercial\ngroups:\n  g: {class: allowed, permits: all}\n", "permits"),
        ("provider_use: commercial\nlicences:\n  MIT: nogroup\n", "licences.MIT"),
        ("provider_use: commercial\npatterns:\n  - CC-*\n", "patterns[0]"),
        ("provider_use: commercial\ndpi_use:\n  All: everyone\n", "dpi_use.All"),
        ("- a list\n", "top level"),
        ("provider_use: [\n", "not valid YAML"),
        ("provider_use: commercial\naliases: missing.yaml\n", "missing.yaml"),
    ],
)
def test_bad_policy_names_the_problem(tmp_path, body, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.yaml") as info:
        LicencePolicy.load(path)
    assert message in str(info.value)


def test_missing_policy_file(tmp_path):
    with pytest.raises(ValueError, match=r"nope\.yaml"):
        LicencePolicy.load(tmp_path / "nope.yaml")


def test_verdicts_are_cached_per_policy(policy):
    first = check_licence("CC BY-SA 4.0", policy, has_authorization=False)
    assert check_licence("CC BY-SA 4.0", policy, has_authorization=False) is first


def _build_module():
    spec = importlib.util.spec_from_file_location(
        "build_licence_aliases", REPO_ROOT / "scripts" / "build_licence_aliases.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_alias_table_is_reproducible(shared_data):
    build = _build_module()
    doc, _ = build.build(shared_data / "licence-metadata")
    shipped = (REPO_ROOT / "configs" / "policies" / "licence_aliases.yaml").read_text("utf-8")
    assert build.render(doc) == shipped, "regenerate: python scripts/build_licence_aliases.py"


def test_every_dpi_licence_name_resolves(shared_data, policy):
    """Each of DPI's canonical licence names gets a decision matching DPI's use class."""
    import json

    classes = json.loads(
        (
            shared_data / "licence-metadata/data-provenance-initiative/license_classes.json"
        ).read_text("utf-8")
    )
    # Deliberate departures: ND (curation adapts text) and model licences restricting training.
    departures = {
        "CC BY-ND 4.0",
        "Llama 2",
        "Meta Llama3 Community License",
        "BigScience OpenRAIL-M",
        "Skywork Community License",
        "No License",
    }
    for name, (use, _, _) in classes.items():
        verdict = check_licence(name, policy, has_authorization=False)
        assert verdict.spdx or use in ("Unspecified", "All"), name
        if name in departures:
            assert not verdict.ok, name
        elif use == "All":
            assert verdict.ok, (name, verdict)
        elif use in ("NC", "Acad"):
            assert verdict.reason == LICENCE_NOT_ALLOWED, (name, verdict)
        else:
            assert verdict.reason == LICENCE_UNKNOWN, (name, verdict)
