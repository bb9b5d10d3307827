"""What each chapter's figures, facts and exercises share: the premises of its examples and the computations
behind them, one module per chapter (``cnnbook.analysis.ch01`` ...).

Figure modules (:mod:`cnnbook.figures`) only draw, fact modules (:mod:`cnnbook.facts`) only word and check, and
both import what they share from here, never from each other: so an edit to a figure's drawing redraws that
chapter's figures and touches no fact, and the cache (:mod:`cnnbook.cache`) can tell which is which from the
imports alone.
"""
