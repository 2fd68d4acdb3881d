"""The abstract-to-bullets sentence splitter, as a table of the cases papers actually write."""

from __future__ import annotations

import pytest

from bot.sources.sentences import normalize_space, split_sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One. Two. Three.", ["One.", "Two.", "Three."]),
        ("We use tools, e.g. search. It helps.", ["We use tools, e.g. search.", "It helps."]),
        ("Models, e.g. GPT-4, do well.", ["Models, e.g. GPT-4, do well."]),
        ("That is, i.e. Llama wins. Next.", ["That is, i.e. Llama wins.", "Next."]),
        ("Smith et al. (2020) showed it. We too.", ["Smith et al. (2020) showed it.", "We too."]),
        ("Smith et al. Showed it.", ["Smith et al. Showed it."]),
        (
            "Accuracy rose 3.5 points. Loss fell 0.2.",
            ["Accuracy rose 3.5 points.", "Loss fell 0.2."],
        ),
        ("GPT-4 vs. Claude is close. Yes.", ["GPT-4 vs. Claude is close.", "Yes."]),
        ("See Fig. 3 and Eq. 2 for details.", ["See Fig. 3 and Eq. 2 for details."]),
        ("Data from the U.S. Census helps.", ["Data from the U.S. Census helps."]),
        ("Work by J. Smith and A. B. Jones. Done.", ["Work by J. Smith and A. B. Jones.", "Done."]),
        ("Version v1.2.3 ships. Then 2.0.", ["Version v1.2.3 ships.", "Then 2.0."]),
        ("Does it work? Yes! Great.", ["Does it work?", "Yes!", "Great."]),
        ("Yahoo! users and Jeopardy! fans.", ["Yahoo! users and Jeopardy! fans."]),
        ('He said "stop." Then left.', ['He said "stop."', "Then left."]),
        ("It works (mostly.) We ship.", ["It works (mostly.)", "We ship."]),
        ("Wait... Then go.", ["Wait...", "Then go."]),
        ("Tools, logs, etc. The rest.", ["Tools, logs, etc.", "The rest."]),
        ("Tools, logs, etc. and more.", ["Tools, logs, etc. and more."]),
        ("lowercase after. is not a break", ["lowercase after. is not a break"]),
        ("Ends with 2024. 2025 is next.", ["Ends with 2024.", "2025 is next."]),
        ("우리는 방법을 제안한다. 결과는 좋다.", ["우리는 방법을 제안한다.", "결과는 좋다."]),
        ("我们提出方法。结果很好。", ["我们提出方法。", "结果很好。"]),
        ("  spread\n over\tlines.  Next\n\n one. ", ["spread over lines.", "Next one."]),
        ("No final stop", ["No final stop"]),
        ("", []),
        ("   ", []),
        ("...", ["..."]),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_no_text_is_lost_or_invented() -> None:
    text = "Alpha, e.g. beta. Gamma et al. Delta 1.5! Epsilon? Zeta... Eta."
    assert " ".join(split_sentences(text)) == normalize_space(text)
