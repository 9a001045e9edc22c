"""Answers to the questions people ask about pooling and stride, as experiments run now.

Each question (``base.Question`` and its ``@register`` line, one module each) measures on a
real network and returns an :class:`engine.answers.base.Answer`: its numbers, its figures and
a verdict whose every sentence quotes the numbers it rests on. ``report.py`` writes them to
disk, one folder per answer or one illustrated HTML report for ``ask all``.
"""
