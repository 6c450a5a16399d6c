"""The shipped harm decision on short English: ordinary chat and form messages pass, insults flag.

The English model learnt from tweets, most of them offensive, and v2 took short conversational
sentences for insults (6.8% of a set of synthetic chat messages). The texts here were written for
this test; none comes from a data set any model or threshold was trained or tuned on.
"""

from __future__ import annotations

import pytest

from corpusgate.transforms.harm.detect import HarmDetector, HarmPolicy

ORDINARY = [
    "My brother just turned 35 and threw a barbecue.",
    "What's your last name?",
    "Could you resend the confirmation email?",
    "I'll be at the dentist until about four.",
    "Our son starts kindergarten in September.",
    "Please update my phone number to the new one.",
    "Is the farmers market open this Saturday?",
    "We got a new couch for the living room.",
    "My grandmother turned ninety last spring.",
    "How many vacation days do I have left?",
    "The bus was twenty minutes late again.",
    "Can I change the delivery date to Monday?",
    "I'm a nurse and I work night shifts.",
    "She just got promoted to team lead.",
    "Thanks, the refund arrived this morning.",
    "Where can I find the form for a new library card?",
    "My husband is picking the kids up from school.",
    "Let's get pizza after the game.",
    "I live on Maple Avenue, the house with the red door.",
    "What time does your shift end tonight?",
    "My cat knocked the plant off the windowsill.",
    "Please enter your date of birth and zip code.",
    "We're visiting my parents in Ohio for Thanksgiving.",
    "He is 16 and wants a summer job.",
    "I need to cancel my appointment on Thursday.",
    "Did you see the game last night?",
    "My daughter is learning to play the violin.",
    "The office will be closed on Friday for the holiday.",
    "Can you send me a copy of the lease?",
    "I'm sorry, I think I dialed the wrong number.",
    "We just bought our first house in Tacoma.",
    "Hi, I'm calling to ask about the job opening.",
    "My mother-in-law is staying with us this week.",
    "What's the best way to reach you during the day?",
    "Our wifi password is on the fridge.",
    "I'm Jewish and my wife is Catholic, we celebrate both holidays.",
    "My friend from Nigeria is visiting next month.",
    "Happy anniversary to the best parents in the world!",
    "The receipt says I paid $18.50 for parking.",
    "I'm 62 years old and recently retired from teaching.",
]

OFFENSIVE = [
    "shut up you stupid bitch nobody asked you",
    "you are a worthless piece of shit",
    "fuck you and your ugly ass face",
    "this hoe always lying smh",
    "lmao look at this dumb bitch crying again",
    "stfu faggot nobody likes you",
    "ur such a retarded idiot go kill yourself",
    "that nigga is a broke ass clown",
    # No keyword in these: the model flags them alone.
    "you look like a clown lol nobody wants you here",
    "ur mom is a ho",
    "look at this trash ass rapper",
    "you ugly as hell bruh",
]


@pytest.fixture(scope="module")
def detector() -> HarmDetector:
    return HarmDetector.load(HarmPolicy.load())


def test_ordinary_short_english_is_not_flagged(detector: HarmDetector) -> None:
    results = detector.detect_batch(ORDINARY, ["en"] * len(ORDINARY))
    flagged = [text for text, r in zip(ORDINARY, results, strict=True) if r.flagged]
    assert len(flagged) <= 1, flagged


def test_offensive_short_english_is_flagged(detector: HarmDetector) -> None:
    results = detector.detect_batch(OFFENSIVE, ["en"] * len(OFFENSIVE))
    missed = [text for text, r in zip(OFFENSIVE, results, strict=True) if not r.flagged]
    assert not missed


def test_the_english_model_decides_alone_only_from_its_alone_threshold() -> None:
    policy = HarmPolicy.load()
    assert "en_hate_offensive_davidson_v3" in policy.decide_alone
    assert policy.alone_threshold["en_hate_offensive_davidson_v3"] == 0.9


def test_insults_without_a_keyword_are_flagged_by_the_model(detector: HarmDetector) -> None:
    texts = OFFENSIVE[-4:]
    for text, result in zip(texts, detector.detect_batch(texts, ["en"] * 4), strict=True):
        assert result.flagged and not any(s["kind"] == "term" for s in result.signals), text
        assert "en_hate_offensive_davidson_v3" in result.model_hits, text
