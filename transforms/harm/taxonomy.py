"""GB/T 45654-2025 Appendix A: the 31 safety-risk codes every harm detector labels with.

A.1–A.4 are the 29 content risks the standard means by "illegal and unhealthy information"
(5.1 note 1); A.5 is about fitness for specific service types (accuracy, reliability), which no
keyword or toxicity detector can judge, so it is kept apart in `SERVICE_CODES`.

English titles follow the CSET translation in `shared/seeds/`; Chinese titles follow the
standard's Chinese text (the seed file quotes only 民族仇恨, 民族歧视 and 国别歧视 from it).
Code ids (`A.1.a`) are persisted in lineage: never renumber one.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUPS: dict[str, tuple[str, str]] = {
    "A.1": (
        "违反社会主义核心价值观的内容",
        "Contains content that violates the socialist core values concept",
    ),
    "A.2": ("歧视性内容", "Contains discriminatory content"),
    "A.3": ("商业违法违规", "Commercial violations"),
    "A.4": ("侵犯他人合法权益", "Violations of the legitimate rights and interests of others"),
    "A.5": (
        "无法满足特定服务类型的安全需求",
        "Inability to meet the safety requirements of specific service types",
    ),
}


@dataclass(frozen=True)
class RiskCode:
    id: str  # "A.1.a"
    group: str  # "A.1"
    title_zh: str
    title_en: str

    @property
    def letter(self) -> str:
        return self.id.rsplit(".", 1)[1]


_TABLE: list[tuple[str, str, str]] = [
    (
        "A.1.a",
        "煽动颠覆国家政权、推翻社会主义制度",
        "Incitement to subvert state power and overthrow the socialist system",
    ),
    (
        "A.1.b",
        "危害国家安全和利益、损害国家形象",
        "Endangering national security and national interest and harming the national image",
    ),
    (
        "A.1.c",
        "煽动分裂国家、破坏国家统一和社会稳定",
        "Incitement of separatism, or undermining national unity and social stability",
    ),
    ("A.1.d", "宣扬恐怖主义、极端主义", "Promotion of terrorism or extremism"),
    ("A.1.e", "宣扬民族仇恨", "Promotion of ethnic hatred"),
    ("A.1.f", "宣扬暴力、淫秽色情", "Promotion of violence, obscenity, or pornography"),
    ("A.1.g", "传播虚假有害信息", "Dissemination of false and harmful information"),
    (
        "A.1.h",
        "其他法律、行政法规禁止的内容",
        "Other content prohibited by laws and administrative regulations",
    ),
    ("A.2.a", "民族歧视内容", "Discrimination on the basis of ethnicity"),
    ("A.2.b", "信仰歧视内容", "Discrimination on the basis of beliefs"),
    ("A.2.c", "国别歧视内容", "Nationality-based discrimination"),
    ("A.2.d", "地域歧视内容", "Discrimination on the basis of regional origin"),
    ("A.2.e", "性别歧视内容", "Gender discrimination"),
    ("A.2.f", "年龄歧视内容", "Age discrimination"),
    ("A.2.g", "职业歧视内容", "Occupation-based discrimination"),
    ("A.2.h", "健康歧视内容", "Health-based discrimination"),
    ("A.2.i", "其他方面歧视内容", "Other types of discriminatory content"),
    ("A.3.a", "侵犯他人知识产权", "Infringement of the intellectual property rights of others"),
    ("A.3.b", "违反商业道德", "Violation of business ethics"),
    ("A.3.c", "泄露他人商业秘密", "Disclosure of the trade secrets of others"),
    (
        "A.3.d",
        "利用算法、数据、平台等优势，实施垄断和不正当竞争行为",
        "Use of algorithms, data, platforms, etc. to engage in monopolistic or unfair "
        "competition behaviors",
    ),
    ("A.3.e", "其他商业违法违规行为", "Other commercial violations"),
    ("A.4.a", "危害他人身心健康", "Endangerment of the physical or mental health of another"),
    ("A.4.b", "侵害他人肖像权", "Unauthorized use of the likeness of another"),
    ("A.4.c", "侵害他人名誉权", "Defamation of the reputation of another"),
    ("A.4.d", "侵害他人荣誉权", "Defamation of the honor of another"),
    ("A.4.e", "侵害他人隐私权", "Infringement of others' right to privacy"),
    (
        "A.4.f",
        "侵害他人个人信息权益",
        "Infringement of others' personal information rights and interests",
    ),
    (
        "A.4.g",
        "侵犯他人其他合法权益",
        "Infringement of other legitimate rights and interests of others",
    ),
    (
        "A.5.a",
        "内容不准确，严重不符合科学常识或主流认知",
        "Inaccurate content that is grossly inconsistent with common scientific knowledge or "
        "mainstream perception",
    ),
    (
        "A.5.b",
        "内容不可靠，虽然不包含严重错误的内容，但无法对使用者形成帮助",
        "Unreliable content that, although not containing grossly erroneous content, cannot help "
        "the user",
    ),
]

CODES: dict[str, RiskCode] = {
    code_id: RiskCode(code_id, code_id.rsplit(".", 1)[0], zh, en) for code_id, zh, en in _TABLE
}
ALL_CODES: tuple[str, ...] = tuple(CODES)
# The 29 content risks (A.1–A.4) and the 2 service-fitness risks (A.5).
RISK_CODES: tuple[str, ...] = tuple(c for c in ALL_CODES if CODES[c].group != "A.5")
SERVICE_CODES: tuple[str, ...] = tuple(c for c in ALL_CODES if CODES[c].group == "A.5")
# B.1.1 b: the keyword library must cover the 17 risks of A.1 and A.2.
KEYWORD_QUOTA_TOTAL = 10_000
KEYWORD_QUOTA_PER_GROUP: dict[str, int] = {"A.1": 200, "A.2": 100}


def codes_in_group(group: str) -> tuple[str, ...]:
    """Codes of one group (`"A.1"`), in the standard's order; ValueError on an unknown group."""
    if group not in GROUPS:
        raise ValueError(f"unknown Appendix A group {group!r}; expected one of {sorted(GROUPS)}")
    return tuple(c for c in ALL_CODES if CODES[c].group == group)


def get_code(code_id: str) -> RiskCode:
    """The code `code_id`; ValueError naming it when it is not one of the 31."""
    try:
        return CODES[code_id]
    except KeyError:
        raise ValueError(f"unknown Appendix A code {code_id!r} (expected e.g. 'A.2.e')") from None


def keyword_quota(code_id: str) -> int:
    """B.1.1 b's minimum keyword count for a code (0 where B.1.1 sets none)."""
    return KEYWORD_QUOTA_PER_GROUP.get(get_code(code_id).group, 0)
