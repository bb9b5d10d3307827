"""Claims (cnnbook.claims, the claim() macro): every one the pages use exists, every one registered is used."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnnbook import claims, facts

ROOT = Path(__file__).resolve().parent.parent
CLAIM = re.compile(r"""\bclaim\(\s*["']([^"']+)["']\s*\)""")


def _used():
    """``{claim name: [page, ...]}`` for every ``{{ claim("...") }}`` in docs/."""
    used = {}
    for page in sorted((ROOT / "docs").rglob("*.md")):
        for name in CLAIM.findall(page.read_text()):
            used.setdefault(name, []).append(page.relative_to(ROOT).as_posix())
    return used


def test_every_claim_a_page_names_is_registered_and_every_registered_claim_is_used():
    facts.names()  # loads every chapter's module
    used = _used()
    assert used, "no page states a checked claim"
    assert sorted(set(used) - set(facts.CLAIMS)) == [], "pages name claims that no chapter registers"
    assert sorted(set(facts.CLAIMS) - set(used)) == [], "registered claims that no page uses would never be checked"


def test_a_claim_stands_on_its_chapters_page():
    for name, pages in _used().items():
        chapter = name.split(".", 1)[0]
        assert all(Path(page).name.startswith(chapter[2:] + "-") for page in pages), (name, pages)


def test_the_rule_needs_the_same_sign_in_every_seed():
    assert claims.compare([0.80, 0.81, 0.90], [0.79, 0.80, 0.70]).verdict == "above"
    assert claims.compare([0.80, 0.81, 0.90], [0.79, 0.82, 0.70]).verdict == "within"  # a mean gap of 3.3 points
    assert claims.compare([0.5, 0.6, 0.7], [0.6, 0.7, 0.8]).verdict == "below"
    assert claims.compare([3, 4, 5], [1, 2, 3.5], paired=False).verdict == "within"  # the ranges overlap
    assert claims.compare([3, 4, 5], [1, 2, 2.5], paired=False).verdict == "above"


@pytest.mark.parametrize("a, b, message", [
    ([1, 2], [0, 1], "at least 3"),
    ([1, 2, 3], [0, 1, 2, 3], "one value per seed"),
    ([1, float("nan"), 3], [0, 1, 2], "finite"),
    ([], [0, 1, 2], "non-empty"),
])
def test_bad_measurements_are_refused_with_a_clear_error(a, b, message):
    with pytest.raises(ValueError, match=message):
        claims.compare(a, b)


def test_a_false_claim_names_itself_and_its_measurements():
    comparison = claims.compare([0.7, 0.8, 0.9], [0.75, 0.7, 0.8])
    with pytest.raises(claims.ClaimError, match=r"A beats B: expected 'above', measured 'within'.*a = \[0.7, 0.8, 0.9\]"):
        comparison.expect("above", "A beats B")
    with pytest.raises(ValueError, match="verdict must be"):
        comparison.expect("higher", "A beats B")


def test_get_claim_requires_words(monkeypatch):
    facts.names()
    monkeypatch.setitem(facts.CLAIMS, "ch99.numeric", lambda: 3)
    with pytest.raises(TypeError, match="must return the words"):
        facts.get_claim("ch99.numeric")
