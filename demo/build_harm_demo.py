"""Write the two forum dumps of the harm demo (deterministic; run from the repo root).

    python demo/build_harm_demo.py

Both are written for this project (Apache-2.0): ordinary hobby-forum posts built from short
phrases, plus mild advertising spam (online gambling, invoice fraud, drug sales) of the kind
GB/T 45654-2025 A.1.h covers. No text comes from an offensive corpus.
- forum-spam: 60 posts, 18 of them spam (30%): fails the 5% gate.
- forum-hobby: 60 posts, 2 of them spam (3.3%): passes; its 2 spam posts are filtered.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

TOPICS = [
    "周末去郊外爬山",
    "今天试着烤了全麦面包",
    "阳台上的番茄终于红了",
    "新买的跑鞋穿了一周",
    "图书馆的自习室",
    "小区门口新开的面馆",
    "家里的猫最近很黏人",
    "学了三个月的吉他",
    "地铁早高峰",
    "第一次自己换自行车链条",
    "老家的桂花开了",
    "周末带孩子去科技馆",
    "公司楼下的咖啡",
    "晚上去江边散步",
    "最近在读一本历史小说",
    "用旧木板做了个书架",
    "今年的第一场雪",
    "自己腌的泡菜",
    "跟朋友去看了话剧",
    "给奶奶教会了视频通话",
]
REMARKS = [
    "感觉挺不错，推荐给大家。",
    "有没有同好一起交流经验？",
    "记录一下，明年再来。",
    "下次想换个方法试试。",
    "大家有什么建议吗？",
]

SPAM = [
    "澳门娱乐城真人娱乐，注册即送88元，详情私信。",
    "网上赌场全天在线，百家乐新人首充返利。",
    "老虎机手机版上线，点击下方链接即可畅玩。",
    "正规博彩平台，提款五分钟到账，欢迎咨询。",
    "专业代开发票，各行业均可开，价格从优。",
    "同城低价出售大麻，当天送达，加好友详聊。",
    "摇头丸批发零售，量大价优，隐秘发货。",
    "快速办证，毕业证驾驶证均可，三天出证。",
    "皇冠娱乐城周末加送彩金，真人娱乐等你来。",
    "百家乐稳赢技巧分享，跟单包回本，进群领取。",
    "代开发票可验真，长期合作有优惠。",
    "博彩高手带你翻身，每天稳定收益。",
    "网上赌场开户送红包，老用户推荐再返现。",
    "大麻种子和成品均有货，全国包邮。",
    "老虎机充值八折，仅限今天。",
    "摇头丸货源稳定，老客户介绍打九折。",
    "办证请联系客服，身份证学历证都能做。",
    "真人娱乐平台招代理，佣金日结。",
]


def ordinary(start: int, count: int) -> list[str]:
    posts = []
    for i in range(start, start + count):
        topic = TOPICS[i % len(TOPICS)]
        remark = REMARKS[(i // len(TOPICS)) % len(REMARKS)]
        posts.append(f"{topic}，{remark}")
    return posts


def write(path: Path, prefix: str, posts: list[str]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i, body in enumerate(posts, 1):
            day = 1 + (i % 28)
            row = {
                "post_id": f"{prefix}-{i:03d}",
                "posted_at": f"2024-06-{day:02d}T10:00:00Z",
                "body": body,
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def main() -> None:
    spam_forum = ordinary(0, 42)
    # Interleave: one spam post after every two ordinary ones, until the spam runs out.
    mixed: list[str] = []
    spam = iter(SPAM)
    for i, post in enumerate(spam_forum):
        mixed.append(post)
        if i % 7 in (1, 3, 5):
            mixed.append(next(spam))
    assert len(mixed) == 60 and sum(p in SPAM for p in mixed) == 18
    write(HERE / "sources/forum-spam/posts_2024-06.jsonl", "spam", mixed)

    hobby = ordinary(42, 58)
    hobby.insert(17, "澳门娱乐城真人娱乐，新人注册送彩金。")
    hobby.insert(44, "专业代开发票，需要的私信。")
    assert len(hobby) == 60
    write(HERE / "sources/forum-hobby/posts_2024-06.jsonl", "hobby", hobby)


if __name__ == "__main__":
    main()
