"""The API's string fields take what their schema says (`type: string`, `maxLength`), and nothing else."""

import pytest
from rest_framework.exceptions import ValidationError

from core.api.serializers import CharField, SlugField


@pytest.mark.parametrize("value", [0, 1.5, True, [], {}])
def test_a_string_field_takes_only_strings(value):
    with pytest.raises(ValidationError):
        CharField().run_validation(value)


@pytest.mark.parametrize("padded", ["\n" + "x" * 10, " " + "x" * 10, "x" * 10 + "\t"])
def test_the_length_limit_counts_the_whitespace_it_trims(padded):
    with pytest.raises(ValidationError) as refused:
        CharField(max_length=10).run_validation(padded)
    assert "no more than 10 characters" in str(refused.value.detail[0])


def test_a_value_at_the_limit_is_trimmed_and_kept():
    assert CharField(max_length=10).run_validation("  " + "x" * 8) == "x" * 8
    assert SlugField(max_length=5).run_validation("a-b_c") == "a-b_c"


def test_a_slug_past_its_limit_is_refused():
    with pytest.raises(ValidationError):
        SlugField(max_length=5).run_validation(" abcde")
