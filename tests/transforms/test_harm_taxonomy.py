"""Appendix A of GB/T 45654-2025: 31 codes, 29 content risks, 2 service-fitness risks."""

from __future__ import annotations

import pytest

from corpusgate.transforms.harm import taxonomy as tx


def test_appendix_a_has_31_codes_29_risks_and_2_service_codes() -> None:
    assert len(tx.ALL_CODES) == 31
    assert len(tx.RISK_CODES) == 29
    assert tx.SERVICE_CODES == ("A.5.a", "A.5.b")
    assert set(tx.RISK_CODES).isdisjoint(tx.SERVICE_CODES)


@pytest.mark.parametrize(
    ("group", "letters"),
    [
        ("A.1", "abcdefgh"),
        ("A.2", "abcdefghi"),
        ("A.3", "abcde"),
        ("A.4", "abcdefg"),
        ("A.5", "ab"),
    ],
)
def test_codes_in_group_follow_the_standard(group: str, letters: str) -> None:
    assert tx.codes_in_group(group) == tuple(f"{group}.{x}" for x in letters)


def test_b11_quota_covers_the_17_risks_of_a1_and_a2() -> None:
    with_quota = [c for c in tx.ALL_CODES if tx.keyword_quota(c)]
    assert len(with_quota) == 17
    assert tx.keyword_quota("A.1.e") == 200
    assert tx.keyword_quota("A.2.i") == 100
    assert tx.keyword_quota("A.4.f") == 0


@pytest.mark.parametrize("code", tx.ALL_CODES)
def test_every_code_has_chinese_and_english_titles(code: str) -> None:
    info = tx.get_code(code)
    assert info.title_en and info.title_en[0].isupper()
    assert info.title_zh and any("\u4e00" <= ch <= "\u9fff" for ch in info.title_zh)
    assert info.group == code[:3]


@pytest.mark.parametrize(
    ("code", "zh", "en_fragment"),
    [
        ("A.1.e", "宣扬民族仇恨", "ethnic hatred"),  # the seed quotes 民族仇恨
        ("A.2.a", "民族歧视内容", "ethnicity"),
        ("A.2.c", "国别歧视内容", "Nationality"),
        ("A.4.f", "侵害他人个人信息权益", "personal information"),
    ],
)
def test_titles_faithful_to_the_seed_text(code: str, zh: str, en_fragment: str) -> None:
    assert tx.get_code(code).title_zh == zh
    assert en_fragment in tx.get_code(code).title_en


@pytest.mark.parametrize("bad", ["A.6", "A.1.z", "a.1.a", "", "A.1"])
def test_unknown_codes_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown Appendix A"):
        tx.get_code(bad)


def test_unknown_group_is_refused() -> None:
    with pytest.raises(ValueError, match=r"A\.9"):
        tx.codes_in_group("A.9")
