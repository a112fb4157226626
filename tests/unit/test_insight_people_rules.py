"""The pure parts of visit feedback and the evaluation e-mail: months, the privacy threshold, the texts."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from insight.evaluation_due import mail_for
from insight.feedback import MIN_GROUP, MonthFigures, month_figures, months_between


def test_months_run_across_the_new_year_and_not_backwards() -> None:
    assert months_between(date(2025, 11, 17), date(2026, 2, 3)) == [
        date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]  # fmt: skip
    assert months_between(date(2026, 5, 1), date(2026, 4, 30)) == []


def test_four_answers_are_suppressed_and_five_are_counted() -> None:
    september, october = date(2026, 9, 1), date(2026, 10, 1)
    counts = {(september, "yes"): 3, (september, "mixed"): 1, (september, "no"): 1, (october, "no"): 4}
    assert month_figures([september, october], counts) == [
        MonthFigures(september, suppressed=False, yes=3, mixed=1, no=1, total=5),
        MonthFigures(october, suppressed=True),
    ]


@given(st.integers(0, 9), st.integers(0, 9), st.integers(0, 9))
def test_counts_leave_only_for_groups_of_five(yes: int, mixed: int, no: int) -> None:
    month = date(2026, 1, 1)
    [figures] = month_figures([month], {(month, "yes"): yes, (month, "mixed"): mixed, (month, "no"): no})
    assert figures.suppressed == (yes + mixed + no < MIN_GROUP)
    assert figures.total == (None if figures.suppressed else yes + mixed + no)


def test_the_case_worker_mail_in_each_language_names_no_recipient() -> None:
    common = {"to": "sara@kommune.example", "name": "Sara", "service": "Avlastning", "department": "Avdeling d1",
              "evaluation_date": date(2026, 12, 14), "url": "https://tjenester.kommune.example/"}  # fmt: skip
    nb = mail_for(language="nb", **common)  # type: ignore[arg-type]
    assert nb.subject == "Utprøvingsvedtak skal evalueres 14.12.2026"
    assert nb.text.startswith("Hei Sara.\n\nEt utprøvingsvedtak (Avlastning, Avdeling d1) skal evalueres 14.12.2026.")
    assert mail_for(language="nn", **common).subject == "Utprøvingsvedtak skal evaluerast 14.12.2026"  # type: ignore[arg-type]
    en = mail_for(language="en", **common)  # type: ignore[arg-type]
    assert en.subject == "A trial decision is due for evaluation on 2026-12-14"
    assert mail_for(language="se", **common).language == "nb"  # type: ignore[arg-type]
