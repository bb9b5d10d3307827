"""Numbers of the pages about the book itself (the home page and "How to use this book")."""

from __future__ import annotations

from fractions import Fraction

from cnnbook import claims, transfer
from cnnbook.facts import fact


@fact("book.min_seeds")
def min_seeds():
    """The fewest seeds behind a measured comparison (:data:`cnnbook.claims.MIN_SEEDS`)."""
    return claims.MIN_SEEDS


@fact("book.chance_same_sign")
def chance_same_sign():
    """The chance that a difference has one sign in every seed when there is none, at the fewest seeds: '1/4'.

    Each seed's sign is a fair coin then, and either sign in all of them counts: 2 · (1/2)^n.
    """
    chance = 2 * Fraction(1, 2) ** claims.MIN_SEEDS
    return f"{chance.numerator}/{chance.denominator}"


@fact("book.transfer_labels")
def transfer_labels():
    """The range of labelled target digits chapter 9 compares the regimes over, in words."""
    from cnnbook.experiments.transfer import SIZES

    return f"{min(SIZES):,} to {max(SIZES):,}"


def _digits(classes):
    return f"{min(classes)}–{max(classes)}"


@fact("book.source_digits")
def source_digits():
    """Chapter 9's source classes as a range of digits: '0–4'."""
    return _digits(transfer.SOURCE)


@fact("book.target_digits")
def target_digits():
    """Chapter 9's target classes as a range of digits: '5–9'."""
    return _digits(transfer.TARGET)
