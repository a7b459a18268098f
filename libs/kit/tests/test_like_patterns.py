"""kit.db.contains: what a user types is found literally, wildcards included."""

from kit.db import contains


def test_wildcards_in_the_text_are_taken_literally():
    assert contains("rollator") == "%rollator%"
    assert contains("50%_off") == "%50\\%\\_off%"
    assert contains("a\\b") == "%a\\\\b%"
