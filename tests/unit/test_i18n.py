from __future__ import annotations

import pytest

from api.i18n import negotiate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "nb"),
        ("", "nb"),
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("nn-NO", "nn"),
        ("no", "nb"),
        ("de,fr;q=0.8", "nb"),  # nothing supported: the default
        ("de,en;q=0.5,nn;q=0.7", "nn"),  # the highest quality wins, not the first listed
        ("en;q=0, nb;q=0.1", "nb"),  # q=0 means "not this one"
        ("en;q=abc", "nb"),  # a broken q-value counts as 0
        ("nb, en", "nb"),  # equal quality: the order decides
    ],
)
def test_negotiate(header: str | None, expected: str) -> None:
    assert negotiate(header) == expected
