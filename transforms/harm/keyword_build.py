"""Candidate keywords for the B.1.1 library (GB/T 45654-2025 B.1.1) from upstream lexicons.

The upstream lists file whole categories under one heading (advertising and porn lists under
"politics", any mention of a leader as "sensitive"), so their terms are never shipped as they
are: this build turns them into a review sheet (`candidates.tsv`, the format of `keywords
review export`) with a suggested code per term, a suggested tier of `mention`, and the clean
text each term fired on; a person decides term by term and `keywords review import` brings the
decisions into the library. Deterministic: the same data folder gives byte-identical files.

1. Read each upstream list (`SOURCES`) and give its terms Appendix A codes: a list has a
   default code, and rule sets (`RULES`) move terms whose wording marks a narrower risk
   (separatism, terrorism, a slur against a region...) to that code instead.
2. Drop what cannot be a keyword: one character, short Latin words, `A+B` co-occurrence
   rules, and houbb's own allow-list.
3. Prune by measurement on clean text: a term is dropped when it fires on any non-toxic
   identity template (an identity term alone is not harmful) or in two or more clean
   Wikipedia paragraphs; it is down-weighted (0.5) when it fires in one paragraph or in three
   or more of COLD's safe comments (colloquial text where crude but harmless words live).
4. Write `candidates.tsv` (one row per term: suggested codes, tier `mention`, weight, source
   lists, clean-text evidence, decision left blank), `build-report.yaml` (the pruning table)
   and `LICENCES.md` plus each upstream licence file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from corpusgate.transforms.harm.fold import normalize_term
from corpusgate.transforms.harm.keywords import MENTION, KeywordLibrary, KeywordMatcher
from corpusgate.transforms.harm.review import Candidate, export_rows
from corpusgate.transforms.harm.taxonomy import RISK_CODES

LIBRARY_VERSION = 1
CANDIDATES = "candidates.tsv"
REPORT = "build-report.yaml"
DOWN_WEIGHT = 0.5
WIKI_DROP_DOCS = 2  # clean Wikipedia paragraphs a term may fire in before it is dropped
COLD_DOWN_WEIGHT_DOCS = 3


@dataclass(frozen=True)
class Lexicon:
    name: str  # licence file stem: licences/<name>.LICENSE
    title: str
    folder: str
    licence: str
    licence_file: str
    commit: str
    snapshot_date: dt.date


LEXICONS: dict[str, Lexicon] = {
    lex.name: lex
    for lex in (
        Lexicon(
            "houbb-sensitive-word",
            "houbb/sensitive-word dictionaries",
            "lexicon-houbb",
            "Apache-2.0",
            "LICENSE.txt",
            "bac9a301ed0ada86ad2469c0a18f2594eeba15ec (v0.27-tagged), "
            "a85152061e6260bfcc31631f6c4255a5473312c9 (2020-categorised)",
            dt.date(2025, 7, 5),
        ),
        Lexicon(
            "konsheng-sensitive-lexicon",
            "konsheng/Sensitive-lexicon",
            "lexicon-konsheng",
            "MIT",
            "LICENSE",
            "5a8da94c61c160e203a6b2fcfafbea642404d50c",
            dt.date(2026, 6, 16),
        ),
        Lexicon(
            "fwwdn-sensitive-stop-words",
            "fwwdn/sensitive-stop-words",
            "lexicon-fwwdn",
            "Apache-2.0",
            "LICENSE",
            "a7d06bb1c321e669943b6841570d9da6dad8ce2b",
            dt.date(2026, 3, 10),
        ),
        Lexicon(
            "swsr-sexhatelex",
            "SWSR SexHateLex (aggiejiang/SWSR)",
            "swsr",
            "MIT",
            "LICENSE",
            "7b320184da8f9dd6d366dfe726c6b3e12ac92f77",
            dt.date(2023, 5, 23),
        ),
        Lexicon(
            "davidson-hate-ngrams",
            "Davidson et al. refined hate n-grams (t-davidson/hate-speech-and-offensive-language)",
            "davidson-hate-offensive",
            "MIT",
            "LICENSE",
            "cb50f7e9eb855a99abc51423bf40df0e26d6fe30",
            dt.date(2023, 6, 12),
        ),
    )
}

# Rule sets: (marker regex over the normalised term, code). The first marker that matches
# moves the term from the list's default code to the rule's code.
RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "politics": (
        (r"台独|藏独|疆独|港独|蒙独|东突|分裂|独立|自决|达赖|藏青会|热比娅|世维会|独派", "A.1.c"),
        (
            r"恐怖|圣战|基地组织|伊斯兰国|isis|塔利班|自杀式|人体炸弹|劫机|炸弹|爆炸|极端主义",
            "A.1.d",
        ),
        (r"民族仇恨|灭族|排华|支那|杀光", "A.1.e"),
        (r"国家机密|军事机密|泄密|间谍|军区|导弹|核武|机密|辱华|国耻|卖国", "A.1.b"),
        (r"谣言|内幕|传闻|爆料|假新闻", "A.1.g"),
    ),
    "violence": (
        (r"恐怖|圣战|基地组织|伊斯兰国|isis|自杀式|人体炸弹|劫机|炸弹|爆炸|极端", "A.1.d"),
    ),
    "crime": (
        (r"窃听|监听|偷拍|偷窥|定位器|跟踪器|flexispy|间谍软件|针孔", "A.4.e"),
        # Forged documents before personal information: "假身份证" is fraud, not a leak.
        (r"假证|办证|假身份证|假冒身份证|精仿身份证|伪造|假文凭|假学历|代考|作弊|答案", "A.1.h"),
        (r"身份证|户籍|车主信息|开房|手机号|个人信息|公民信息|客户资料|短信群发|数据出售", "A.4.f"),
    ),
    "discrimination": (
        (
            r"黑鬼|黑奴|黑猴|白皮猪|黄皮|尼哥|nigg|coon|chink|spic|wetback|jungle bunny|savage|"
            r"colored|spear chucker|white trash",
            "A.2.a",
        ),
        (r"阿三|棒子|小日本|鬼子|倭|越南猴|洋垃圾|鬼佬|支那|洋鬼", "A.2.c"),
        (r"穆斯林|绿绿|回回|基督狗|耶稣狗|佛棍|allah", "A.2.b"),
        (
            r"河南|东北|上海|湖北|广东|四川|新疆|乡巴佬|农村|外地|港灿|湾湾|北佬|南蛮|捞仔|"
            r"trailer park|inbred",
            "A.2.d",
        ),
        (r"老不死|老东西|老废物|小屁孩|熊孩子|老太婆|老头子", "A.2.f"),
        (r"农民工|民工|屌丝|保安|外卖|快递", "A.2.g"),
        (r"残废|瘸子|瞎子|聋子|哑巴|智障|脑残|弱智|病秧子|艾滋|精神病", "A.2.h"),
        (r"同性恋|基佬|搞基|人妖|娘炮|fag|dyke|queer|homo|gay", "A.2.i"),
        (r"rape|kill|beat him|their heads", "A.1.f"),
        (r"bitch|cunt|female", "A.2.e"),
    ),
}
_COMPILED_RULES = {
    name: tuple((re.compile(p), c) for p, c in rules) for name, rules in RULES.items()
}


@dataclass(frozen=True)
class ListSpec:
    id: str  # short id written in the `sources` column of each term
    lexicon: str
    path: str  # inside the lexicon folder
    codes: tuple[str, ...]  # default codes; tag-coded lists use TAG_CODES
    rules: str | None = None
    fmt: str = "lines"  # lines | houbb_tags | davidson
    note: str = ""


# houbb's WordTagType: 0 politics, 1 drugs, 2 pornography, 3 gambling, 4 illegal/crime.
HOUBB_TAG_CODES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "0": (("A.1.a",), "politics"),
    "1": (("A.1.h",), None),
    "2": (("A.1.f",), None),
    "3": (("A.1.h",), None),
    "4": (("A.1.h",), "crime"),
}

SOURCES: tuple[ListSpec, ...] = (
    ListSpec(
        "houbb-tags",
        "houbb-sensitive-word",
        "v0.27-tagged/sensitive_word_tags.txt",
        (),
        fmt="houbb_tags",
        note="tag 0 politics→A.1.a, 1 drugs/3 gambling/4 crime→A.1.h, 2 pornography→A.1.f",
    ),
    ListSpec(
        "houbb-en",
        "houbb-sensitive-word",
        "v0.27-tagged/sensitive_word_dict_en.txt",
        ("A.1.f",),
        note="English slang for prostitution",
    ),
    ListSpec(
        "houbb-politics",
        "houbb-sensitive-word",
        "2020-categorised/政治类.txt",
        ("A.1.a",),
        "politics",
    ),
    ListSpec("houbb-porn", "houbb-sensitive-word", "2020-categorised/色情类.txt", ("A.1.f",)),
    ListSpec(
        "houbb-violence",
        "houbb-sensitive-word",
        "2020-categorised/暴力.txt",
        ("A.1.f",),
        "violence",
    ),
    ListSpec("houbb-drugs", "houbb-sensitive-word", "2020-categorised/毒品.txt", ("A.1.h",)),
    ListSpec(
        "houbb-cult",
        "houbb-sensitive-word",
        "2020-categorised/邪教.txt",
        ("A.1.h",),
        note="cult promotion is prohibited by law (A.1.h), not terrorism",
    ),
    ListSpec(
        "houbb-abuse",
        "houbb-sensitive-word",
        "2020-categorised/辱骂.txt",
        ("A.4.c",),
        note="insult infringes the right of reputation (Civil Code art. 1024)",
    ),
    ListSpec(
        "houbb-unfair",
        "houbb-sensitive-word",
        "2020-categorised/不正当竞争.txt",
        ("A.3.d",),
        "crime",
    ),
    ListSpec("houbb-ads", "houbb-sensitive-word", "2020-categorised/广告.txt", ("A.3.e",)),
    ListSpec(
        "konsheng-reactionary",
        "konsheng-sensitive-lexicon",
        "Vocabulary/反动词库.txt",
        ("A.1.a",),
        "politics",
    ),
    ListSpec(
        "konsheng-politics",
        "konsheng-sensitive-lexicon",
        "Vocabulary/政治类型.txt",
        ("A.1.a",),
        "politics",
    ),
    ListSpec(
        "konsheng-gfw",
        "konsheng-sensitive-lexicon",
        "Vocabulary/GFW补充词库.txt",
        ("A.1.a",),
        "politics",
    ),
    ListSpec(
        "konsheng-enlightenment",
        "konsheng-sensitive-lexicon",
        "Vocabulary/新思想启蒙.txt",
        ("A.1.a",),
        "politics",
    ),
    ListSpec(
        "konsheng-corruption",
        "konsheng-sensitive-lexicon",
        "Vocabulary/贪腐词库.txt",
        ("A.1.a",),
        "politics",
    ),
    ListSpec(
        "konsheng-terror", "konsheng-sensitive-lexicon", "Vocabulary/暴恐词库.txt", ("A.1.d",)
    ),
    ListSpec(
        "konsheng-guns",
        "konsheng-sensitive-lexicon",
        "Vocabulary/涉枪涉爆.txt",
        ("A.1.h",),
        "violence",
        note="illegal guns and explosives trade",
    ),
    ListSpec("konsheng-porn", "konsheng-sensitive-lexicon", "Vocabulary/色情词库.txt", ("A.1.f",)),
    ListSpec("konsheng-porn2", "konsheng-sensitive-lexicon", "Vocabulary/色情类型.txt", ("A.1.f",)),
    ListSpec(
        "konsheng-livelihood",
        "konsheng-sensitive-lexicon",
        "Vocabulary/民生词库.txt",
        ("A.1.h",),
        "crime",
    ),
    ListSpec("konsheng-ads", "konsheng-sensitive-lexicon", "Vocabulary/广告类型.txt", ("A.3.e",)),
    ListSpec("fwwdn-politics", "fwwdn-sensitive-stop-words", "政治类.txt", ("A.1.a",), "politics"),
    ListSpec("fwwdn-porn", "fwwdn-sensitive-stop-words", "色情类.txt", ("A.1.f",)),
    ListSpec(
        "fwwdn-guns",
        "fwwdn-sensitive-stop-words",
        "涉枪涉爆违法信息关键词.txt",
        ("A.1.h",),
        "violence",
    ),
    ListSpec("fwwdn-ads", "fwwdn-sensitive-stop-words", "广告.txt", ("A.3.e",)),
    ListSpec(
        "swsr-sexhatelex",
        "swsr-sexhatelex",
        "SexHateLex.txt",
        ("A.2.e",),
        "discrimination",
        note="terms also in houbb's tagged list keep only that list's code",
    ),
    ListSpec(
        "davidson-ngrams",
        "davidson-hate-ngrams",
        "refined_ngram_dict.csv",
        ("A.2.i",),
        "discrimination",
        fmt="davidson",
    ),
)

# Read but deliberately not shipped, with the reason (printed by the build).
EXCLUDED = (
    ("lexicon-*/网址.txt, 非法网址.txt", "URL lists: hosts, not text keywords"),
    (
        "houbb 2020-categorised/人名.txt, 新闻实事.txt, 其他.txt, 房产.txt",
        "person names, news topics and property ads: not a risk by themselves",
    ),
    (
        "konsheng 零时-Tencent.txt, 网易前端过滤敏感词库.txt, 补充词库.txt, 其他词库.txt",
        "broad scraped lists full of names and ordinary words (PROVENANCE caveat)",
    ),
    ("konsheng COVID-19词库.txt", "co-occurrence rules (A+B), not keywords"),
    ("houbb v0.27-tagged/sensitive_word_dict.txt", "untagged superset of the tagged list"),
)
SWSR_DEFER_TO = "houbb-tags"


@dataclass
class ListReport:
    id: str
    terms_in: int = 0
    invalid: int = 0
    allow_listed: int = 0
    dropped_templates: int = 0
    dropped_wiki: int = 0
    deferred: int = 0
    down_weighted: int = 0
    kept: int = 0

    def row(self) -> dict[str, int | str]:
        return dict(self.__dict__)


@dataclass
class BuildResult:
    out_dir: Path
    per_code: dict[str, int]
    total_unique: int
    lists: list[ListReport] = field(default_factory=list)


def _read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")


def _read_terms(spec: ListSpec, root: Path) -> Iterator[tuple[str, tuple[str, ...], str | None]]:
    """(raw term, default codes, rule set) for each line of one upstream list."""
    text = _read_text(root / spec.path)
    if spec.fmt == "houbb_tags":
        for line in text.split("\n"):
            word, _, tags = line.strip().rpartition(" ")
            if not word:
                continue
            codes: list[str] = []
            rules = None
            for tag in tags.split(","):
                tag_codes, tag_rules = HOUBB_TAG_CODES.get(tag, ((), None))
                codes.extend(c for c in tag_codes if c not in codes)
                rules = rules or tag_rules
            yield word, tuple(codes), rules
    elif spec.fmt == "davidson":
        for row in csv.DictReader(io.StringIO(text)):
            yield row["ngram"], spec.codes, spec.rules
    else:
        for line in text.split("\n"):
            yield line.strip().rstrip(",").strip(), spec.codes, spec.rules


def _route(term: str, codes: tuple[str, ...], rules: str | None) -> tuple[str, ...]:
    if rules is None:
        return codes
    for pattern, code in _COMPILED_RULES[rules]:
        if pattern.search(term):
            return (code,)
    return codes


def _valid(term: str) -> bool:
    if len(term) < 2 or "+" in term or len(term) > 40:
        return False
    if term.isascii() and (len(term.replace(" ", "")) < 3 or not any(c.isalpha() for c in term)):
        return False
    return any(c.isalnum() for c in term)


def clean_corpora(data: Path) -> dict[str, list[str]]:
    """The clean material pruning measures against (read by `corpora.py`)."""
    from corpusgate.transforms.harm import corpora

    def texts(*names: str) -> list[str]:
        return [r.text for name in names for r in corpora.clean_texts(data, name)]

    return {
        "wiki": texts("cmrc2018", "wikitext2"),
        "templates": texts("templates_zh", "templates_en"),
        "cold_safe": texts("cold_safe_train"),
    }


def _doc_hits(matcher: KeywordMatcher, docs: Iterable[str]) -> dict[str, int]:
    """Term -> number of documents it fires in."""
    counts: dict[str, int] = {}
    for doc in docs:
        for term in {h.term for h in matcher.match(doc)}:
            counts[term] = counts.get(term, 0) + 1
    return counts


def check_data(data: Path) -> None:
    """ValueError naming the first missing input, so the CLI can say what to fetch."""
    needed = [data / LEXICONS[s.lexicon].folder / s.path for s in SOURCES]
    needed += [
        data / "zh-wiki-cmrc2018" / "cmrc2018_dev.json",
        data / "en-wikitext2" / "valid.txt",
        data / "bias-templates-conversationai" / "zh-cn_sentence_templates.csv",
        data / "cold" / "train.csv",
        data / "lexicon-houbb" / "v0.27-tagged" / "sensitive_word_allow.txt",
    ]
    for path in needed:
        if not path.is_file():
            raise ValueError(f"{path}: input of the keyword build is missing")


def build(
    data: Path,
    out_dir: Path,
    *,
    version: int = LIBRARY_VERSION,
    build_date: dt.date,
    only: Iterable[str] | None = None,
    log: Callable[[str], None] = print,
) -> BuildResult:
    """Regenerate the library in `out_dir` (created; its old list files are replaced)."""
    check_data(data)
    selected = set(only) if only is not None else None
    specs = [s for s in SOURCES if selected is None or s.id in selected]
    if selected is not None and len(specs) != len(selected):
        unknown = sorted(selected - {s.id for s in SOURCES})
        raise ValueError(f"unknown list id(s) {unknown}; known: {[s.id for s in SOURCES]}")
    allow = {
        normalize_term(t)
        for t in _read_text(data / "lexicon-houbb/v0.27-tagged/sensitive_word_allow.txt").split(
            "\n"
        )
        if t.strip()
    }

    # term -> code -> source ids; per-list term sets for the report.
    entries: dict[str, dict[str, set[str]]] = {}
    list_terms: dict[str, set[str]] = {}
    reports = {s.id: ListReport(s.id) for s in specs}
    deferred_terms: set[str] = set()
    for spec in specs:
        rep = reports[spec.id]
        seen: set[str] = set()
        for raw, codes, rules in _read_terms(spec, data / LEXICONS[spec.lexicon].folder):
            if not raw:
                continue
            term = normalize_term(raw)
            if term in seen:
                continue
            seen.add(term)
            rep.terms_in += 1
            if not _valid(term):
                rep.invalid += 1
                continue
            if term in allow:
                rep.allow_listed += 1
                continue
            for code in _route(term, codes, rules):
                entries.setdefault(term, {}).setdefault(code, set()).add(spec.id)
        list_terms[spec.id] = {t for t in seen if t in entries}
    # A SexHateLex term houbb already tags (drugs, pornography...) keeps houbb's code only.
    if SWSR_DEFER_TO in list_terms:
        for term in list_terms.get("swsr-sexhatelex", set()) & list_terms[SWSR_DEFER_TO]:
            codes = entries[term]
            for code in [c for c, src in codes.items() if src == {"swsr-sexhatelex"}]:
                del codes[code]
                deferred_terms.add(term)
    for term in [t for t, codes in entries.items() if not codes]:
        del entries[term]

    probe = KeywordMatcher(KeywordLibrary.from_terms({"A.1.h": list(entries)}))
    corpora = clean_corpora(data)
    hits = {name: _doc_hits(probe, docs) for name, docs in corpora.items()}
    log("clean text measured: " + ", ".join(f"{k} {len(v)} docs" for k, v in corpora.items()))

    weights: dict[str, float] = {}
    fate: dict[str, str] = {}
    for term in entries:
        if hits["templates"].get(term):
            fate[term] = "templates"
        elif hits["wiki"].get(term, 0) >= WIKI_DROP_DOCS:
            fate[term] = "wiki"
        else:
            weak = hits["wiki"].get(term, 0) > 0 or hits["cold_safe"].get(term, 0) >= (
                COLD_DOWN_WEIGHT_DOCS
            )
            weights[term] = DOWN_WEIGHT if weak else 1.0
            fate[term] = "down" if weak else "kept"

    for spec_id, terms in list_terms.items():
        rep = reports[spec_id]
        for term in terms:
            if (
                spec_id == "swsr-sexhatelex"
                and term in deferred_terms
                and not any(spec_id in src for src in entries.get(term, {}).values())
            ):
                rep.deferred += 1
                continue
            outcome = fate.get(term)
            if outcome == "templates":
                rep.dropped_templates += 1
            elif outcome == "wiki":
                rep.dropped_wiki += 1
            elif outcome in ("kept", "down"):
                rep.kept += 1
                rep.down_weighted += outcome == "down"

    by_code: dict[str, dict[str, tuple[float, str]]] = {code: {} for code in RISK_CODES}
    candidates: list[Candidate] = []
    for term in sorted(entries):
        if term not in weights:
            continue
        codes = entries[term]
        for code, sources in codes.items():
            by_code[code][term] = (weights[term], ",".join(sorted(sources)))
        candidates.append(
            Candidate(
                term,
                tuple(sorted(codes)),
                MENTION,
                weights[term],
                ",".join(sorted({s for src in codes.values() for s in src})),
                f"clean wiki paragraphs {hits['wiki'].get(term, 0)}, "
                f"COLD safe comments {hits['cold_safe'].get(term, 0)}",
            )
        )
    _write(
        out_dir,
        data,
        candidates,
        [reports[s.id] for s in specs],
        build_date,
        max(LEXICONS[s.lexicon].snapshot_date for s in specs),
    )
    per_code = {code: len(terms) for code, terms in by_code.items()}
    total = len({t for terms in by_code.values() for t in terms})
    return BuildResult(out_dir, per_code, total, [reports[s.id] for s in specs])


def _write(
    out_dir: Path,
    data: Path,
    candidates: list[Candidate],
    reports: list[ListReport],
    build_date: dt.date,
    sources_date: dt.date,
) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    empty = KeywordLibrary.from_terms({})
    (out_dir / CANDIDATES).write_text(export_rows(empty, candidates), encoding="utf-8")
    used = sorted({LEXICONS[s.lexicon].name for s in SOURCES if s.id in {r.id for r in reports}})
    report = {
        "build": "corpusgate keyword candidates",
        "build_date": build_date.isoformat(),
        "sources_date": sources_date.isoformat(),
        "standard": "GB/T 45654-2025 B.1.1",
        "candidates": len(candidates),
        "note": "Unreviewed: import decisions with `corpusgate keywords review import`.",
        "lexicons": [
            {
                "name": n,
                "licence": LEXICONS[n].licence,
                "commit": LEXICONS[n].commit,
                "licence_file": f"licences/{n}.LICENSE",
            }
            for n in used
        ],
        "pruning": {
            "templates_nontoxic": "any hit drops the term",
            "wiki_paragraphs": f">= {WIKI_DROP_DOCS} drops, 1 down-weights to {DOWN_WEIGHT}",
            "cold_safe_comments": f">= {COLD_DOWN_WEIGHT_DOCS} down-weights to {DOWN_WEIGHT}",
            "lists": [r.row() for r in reports],
        },
    }
    (out_dir / REPORT).write_text(
        yaml.safe_dump(report, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
    )
    lic_dir = out_dir / "licences"
    lic_dir.mkdir(exist_ok=True)
    md = [
        "# Keyword library: upstream lexicons and licences",
        "",
        "Generated by `corpusgate keywords build`. `candidates.tsv` (and the version-1 lists kept",
        "in the shipped library's history) derive from the lexicons below (terms normalised,",
        "mapped to GB/T 45654-2025 Appendix A codes and pruned); each upstream licence is copied",
        "in `licences/`.",
        "",
        "| lexicon | licence | upstream commit | licence file |",
        "|---|---|---|---|",
    ]
    for n in used:
        lex = LEXICONS[n]
        shutil.copyfile(data / lex.folder / lex.licence_file, lic_dir / f"{n}.LICENSE")
        md.append(f"| {lex.title} | {lex.licence} | {lex.commit} | `licences/{n}.LICENSE` |")
    md += [
        "",
        "Clean text used only to measure and prune (not shipped): Chinese Wikipedia passages from",
        "CMRC 2018 (CC BY-SA 4.0), WikiText-2 valid/test (CC BY-SA 3.0), the Conversation AI",
        "identity sentence templates (CC BY 4.0) and the safe comments of COLD train (Apache-2.0).",
        "",
        "Lists read but not shipped:",
        "",
    ]
    md += [f"- {what}: {why}" for what, why in EXCLUDED]
    (out_dir / "LICENCES.md").write_text("\n".join(md) + "\n", encoding="utf-8")


def format_report(result: BuildResult) -> str:
    cols = [
        "id",
        "terms_in",
        "invalid",
        "allow_listed",
        "deferred",
        "dropped_templates",
        "dropped_wiki",
        "down_weighted",
        "kept",
    ]
    rows = [cols] + [[str(r.row()[c]) for c in cols] for r in result.lists]
    widths = [max(len(row[i]) for row in rows) for i in range(len(cols))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    lines.append(f"total unique terms: {result.total_unique}")
    lines.append("per code: " + ", ".join(f"{c} {n}" for c, n in result.per_code.items()))
    lines.append("not shipped: " + "; ".join(f"{w} ({why})" for w, why in EXCLUDED))
    return "\n".join(lines)
