"""The search language, parsed on its own: stock Django's pieces, -exclusions, qualifiers."""

from __future__ import annotations

import pytest
from django.utils.text import smart_split

from toolkit.admin_ext.search.syntax import (
    EMPTY_VALUE,
    UNCLOSED_QUOTE,
    UNKNOWN_QUALIFIER,
    QualifiedTerm,
    SyntaxProblem,
    TextTerm,
    parse,
    split,
)

QUALIFIERS = ["sku", "supplier", "price", "created"]


def terms(text, qualifiers=QUALIFIERS):
    parsed = parse(text, qualifiers)
    assert parsed.problems == ()
    return list(parsed.terms)


def test_words_are_separate_terms():
    assert terms("usb  cable\tblue") == [
        TextTerm("usb", "usb"),
        TextTerm("cable", "cable"),
        TextTerm("blue", "blue"),
    ]


def test_quoted_phrase_is_one_term_with_its_spaces():
    assert terms('"usb c" cable') == [
        TextTerm("usb c", '"usb c"', phrase=True),
        TextTerm("cable", "cable"),
    ]


def test_single_quoted_phrase_is_a_phrase_as_in_django():
    assert terms("'John Doe' John") == [
        TextTerm("John Doe", "'John Doe'", phrase=True),
        TextTerm("John", "John"),
    ]


def test_escaped_quotes_inside_phrases_are_literal():
    assert terms(r'"12\" pipe"') == [TextTerm('12" pipe', r'"12\" pipe"', phrase=True)]
    assert terms(r"'John O\'Hara'") == [TextTerm("John O'Hara", r"'John O\'Hara'", phrase=True)]


@pytest.mark.parametrize(
    "text",
    [
        "it's Bob's",
        '12" monitor 24"',
        "O'Brien's kit",
        "rock 'n roll '90s",
        'a"b c"d e',
        "x'y z'",
    ],
)
def test_quotes_inside_pieces_split_the_text_as_django_does(text):
    """Stock Django searches each piece of smart_split() as it is (a piece that is all
    one quoted phrase loses its quotes); so does the toolkit."""
    assert [term.value for term in terms(text)] == list(smart_split(text))


def test_split_is_djangos_split():
    text = 'a \'b c\' "d e" -f:"g h"'
    assert split(text) == list(smart_split(text))


def test_minus_excludes_words_phrases_and_qualifiers():
    assert terms("-refurbished -\"usb c\" -'usb a' -sku:X1") == [
        TextTerm("refurbished", "-refurbished", negated=True),
        TextTerm("usb c", '-"usb c"', negated=True, phrase=True),
        TextTerm("usb a", "-'usb a'", negated=True, phrase=True),
        QualifiedTerm("sku", "=", "X1", "-sku:X1", negated=True),
    ]


@pytest.mark.parametrize("word", ["-", "--", "-5", "-3.5", "-.5", "-%"])
def test_minus_before_a_number_or_a_sign_is_part_of_the_word(word):
    assert terms(word) == [TextTerm(word, word)]


def test_minus_inside_a_word_does_not_negate():
    assert terms("usb-c") == [TextTerm("usb-c", "usb-c")]


@pytest.mark.parametrize(
    ("text", "operator", "value"),
    [
        ("price>=10", ">=", "10"),
        ("price<=10", "<=", "10"),
        ("price>10", ">", "10"),
        ("price<10", "<", "10"),
        ("price=9.99", "=", "9.99"),
        ("price:9.99", "=", "9.99"),
        ("price:>=10", ">=", "10"),
        ("price:<5", "<", "5"),
        ("price:=5", "=", "5"),
        ("price>=-5", ">=", "-5"),
    ],
)
def test_qualifier_operators(text, operator, value):
    assert terms(text) == [QualifiedTerm("price", operator, value, text)]


def test_quoted_qualifier_value_keeps_its_spaces():
    assert terms("supplier:\"acme corp\" supplier:'acme inc' usb") == [
        QualifiedTerm("supplier", "=", "acme corp", 'supplier:"acme corp"'),
        QualifiedTerm("supplier", "=", "acme inc", "supplier:'acme inc'"),
        TextTerm("usb", "usb"),
    ]


def test_qualifier_value_may_contain_colons():
    assert terms("sku:AB:12") == [QualifiedTerm("sku", "=", "AB:12", "sku:AB:12")]


def test_qualifier_names_match_case_insensitively_and_return_the_declared_name():
    assert terms("SKU:x1 Price>3") == [
        QualifiedTerm("sku", "=", "x1", "SKU:x1"),
        QualifiedTerm("price", ">", "3", "Price>3"),
    ]


@pytest.mark.parametrize(
    "word",
    [
        "Re:",
        "re:meeting",
        "ISBN:978-3-16-148410-0",
        "10:30",
        "12:00:00",
        "00:1a:2b:3c:4d:5e",
        "fe80::1ff:fe23:4567:890a",
        "https://example.com/x",
        ":x",
        "a>b",
        "size<=3",
    ],
)
def test_text_with_colons_or_comparisons_that_is_no_qualifier_is_a_word(word):
    assert terms(word) == [TextTerm(word, word)]


@pytest.mark.parametrize("word", ["sku:1", "foo:bar", "Re:", "10:30"])
def test_without_declared_qualifiers_every_colon_is_part_of_a_word(word):
    assert terms(word, qualifiers=[]) == [TextTerm(word, word)]


@pytest.mark.parametrize(
    ("text", "name", "suggestion"),
    [
        ("suplier:acme", "suplier", "supplier"),
        ("prce>=500", "prce", "price"),
        ("PRCE:<5", "PRCE", "price"),
        ("-skus:X1", "skus", "sku"),
    ],
)
def test_a_near_miss_of_a_qualifier_is_searched_as_a_word_and_suggests_the_qualifier(
    text, name, suggestion
):
    parsed = parse(text, QUALIFIERS)
    negated = text.startswith("-")
    assert parsed.terms == (TextTerm(text.removeprefix("-"), text, negated=negated),)
    assert parsed.problems == (
        SyntaxProblem(UNKNOWN_QUALIFIER, text, name=name, suggestion=suggestion),
    )


def test_a_near_miss_with_nothing_after_the_colon_suggests_nothing():
    assert terms("prce:") == [TextTerm("prce:", "prce:")]


def test_quoted_text_with_a_colon_is_a_phrase():
    assert terms('"foo:bar"') == [TextTerm("foo:bar", '"foo:bar"', phrase=True)]


def test_unclosed_double_quote_leaves_out_that_piece_only():
    parsed = parse('price>=10 usb "c cable', QUALIFIERS)
    assert parsed.terms == (
        QualifiedTerm("price", ">=", "10", "price>=10"),
        TextTerm("usb", "usb"),
        TextTerm("cable", "cable"),
    )
    assert parsed.problems == (SyntaxProblem(UNCLOSED_QUOTE, '"c'),)


def test_unclosed_quote_in_a_qualifier_value_is_a_problem():
    parsed = parse('supplier:"acme', QUALIFIERS)
    assert parsed.terms == ()
    assert parsed.problems == (SyntaxProblem(UNCLOSED_QUOTE, 'supplier:"acme', "supplier"),)


def test_an_apostrophe_is_never_an_unclosed_quote():
    assert terms("'90s rock") == [TextTerm("'90s", "'90s"), TextTerm("rock", "rock")]


@pytest.mark.parametrize("text", ["sku:", 'sku:""', 'sku:"  "', "sku:''", "price>="])
def test_empty_qualifier_value_is_a_problem(text):
    name = text.split(":")[0].split(">")[0]
    parsed = parse(text, QUALIFIERS)
    assert parsed.terms == ()
    assert parsed.problems == (SyntaxProblem(EMPTY_VALUE, text, name),)


def test_empty_phrase_is_ignored():
    assert terms('"" usb -"" \'\'') == [TextTerm("usb", "usb")]


def test_every_problem_is_reported_in_one_parse():
    parsed = parse('prce:1 sku: suplier:2 "open', QUALIFIERS)
    assert [p.code for p in parsed.problems] == [
        UNKNOWN_QUALIFIER,
        EMPTY_VALUE,
        UNKNOWN_QUALIFIER,
        UNCLOSED_QUOTE,
    ]


def test_repeated_terms_are_kept_once_in_their_first_place():
    assert terms("daniel " * 80 + "mary daniel -x -x") == [
        TextTerm("daniel", "daniel"),
        TextTerm("mary", "mary"),
        TextTerm("x", "-x", negated=True),
    ]


def test_unicode_letters_are_words_and_names():
    assert terms("café crème") == [TextTerm("café", "café"), TextTerm("crème", "crème")]
    assert parse("größe:3", ["größe"]).terms == (QualifiedTerm("größe", "=", "3", "größe:3"),)
    assert terms("-été") == [TextTerm("été", "-été", negated=True)]


def test_empty_and_blank_text_parse_to_nothing():
    assert parse("", QUALIFIERS).terms == ()
    assert parse("   \t ", QUALIFIERS).terms == ()
