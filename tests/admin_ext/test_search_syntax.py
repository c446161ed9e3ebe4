"""The search language, parsed without Django: words, phrases, negation, qualifiers."""

from __future__ import annotations

import pytest

from toolkit.admin_ext.search_syntax import (
    EMPTY_VALUE,
    UNCLOSED_QUOTE,
    UNKNOWN_QUALIFIER,
    QualifiedTerm,
    SyntaxProblem,
    TextTerm,
    parse,
    tokenize,
)

QUALIFIERS = ["sku", "supplier", "price", "created"]


def terms(text):
    parsed = parse(text, QUALIFIERS)
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


def test_escaped_quote_inside_a_phrase_is_literal():
    assert terms(r'"12\" pipe"') == [TextTerm('12" pipe', r'"12\" pipe"', phrase=True)]


def test_quote_inside_a_word_is_an_ordinary_character():
    assert terms('12" monitor') == [TextTerm('12"', '12"'), TextTerm("monitor", "monitor")]


def test_apostrophes_are_ordinary_characters():
    assert terms("O'Brien's kit") == [TextTerm("O'Brien's", "O'Brien's"), TextTerm("kit", "kit")]


def test_minus_negates_words_phrases_and_qualifiers():
    assert terms('-refurbished -"usb c" -sku:X1') == [
        TextTerm("refurbished", "-refurbished", negated=True),
        TextTerm("usb c", '-"usb c"', negated=True, phrase=True),
        QualifiedTerm("sku", "=", "X1", "-sku:X1", negated=True),
    ]


def test_lone_minus_is_a_word():
    assert terms("usb - c") == [TextTerm("usb", "usb"), TextTerm("-", "-"), TextTerm("c", "c")]


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
    assert terms('supplier:"acme corp" usb') == [
        QualifiedTerm("supplier", "=", "acme corp", 'supplier:"acme corp"'),
        TextTerm("usb", "usb"),
    ]


def test_qualifier_value_may_contain_colons():
    assert terms("sku:AB:12") == [QualifiedTerm("sku", "=", "AB:12", "sku:AB:12")]


def test_qualifier_names_match_case_insensitively_and_return_the_declared_name():
    assert terms("SKU:x1 Price>3") == [
        QualifiedTerm("sku", "=", "x1", "SKU:x1"),
        QualifiedTerm("price", ">", "3", "Price>3"),
    ]


def test_unknown_name_with_colon_is_a_problem_not_a_word():
    parsed = parse("suplier:acme usb", QUALIFIERS)
    assert parsed.terms == (TextTerm("usb", "usb"),)
    assert parsed.problems == (SyntaxProblem(UNKNOWN_QUALIFIER, "suplier:acme", "suplier"),)


def test_unknown_name_with_bare_comparison_is_a_word():
    assert terms("a>b size<=3") == [TextTerm("a>b", "a>b"), TextTerm("size<=3", "size<=3")]


@pytest.mark.parametrize("word", ["10:30", "https://example.com/x", "12:00:00", ":x"])
def test_text_with_colons_that_is_not_a_qualifier_is_a_word(word):
    assert terms(word) == [TextTerm(word, word)]


def test_quoted_text_with_a_colon_is_a_phrase():
    assert terms('"foo:bar"') == [TextTerm("foo:bar", '"foo:bar"', phrase=True)]


def test_unclosed_quote_is_a_problem_and_other_terms_survive():
    parsed = parse('price>=10 usb "c cable', QUALIFIERS)
    assert parsed.terms == (QualifiedTerm("price", ">=", "10", "price>=10"), TextTerm("usb", "usb"))
    assert parsed.problems == (SyntaxProblem(UNCLOSED_QUOTE, '"c cable'),)


def test_unclosed_quote_in_a_qualifier_value_is_a_problem():
    parsed = parse('supplier:"acme', QUALIFIERS)
    assert parsed.terms == ()
    assert parsed.problems == (SyntaxProblem(UNCLOSED_QUOTE, 'supplier:"acme'),)


@pytest.mark.parametrize("text", ["sku:", 'sku:""', 'sku:"  "', "price>="])
def test_empty_qualifier_value_is_a_problem(text):
    name = text.split(":")[0].split(">")[0]
    parsed = parse(text, QUALIFIERS)
    assert parsed.terms == ()
    assert parsed.problems == (SyntaxProblem(EMPTY_VALUE, text, name),)


def test_empty_phrase_is_ignored():
    assert terms('"" usb -""') == [TextTerm("usb", "usb")]


def test_every_problem_is_reported_in_one_parse():
    parsed = parse('foo:1 sku: bar:2 "open', QUALIFIERS)
    assert [p.code for p in parsed.problems] == [
        UNKNOWN_QUALIFIER,
        EMPTY_VALUE,
        UNKNOWN_QUALIFIER,
        UNCLOSED_QUOTE,
    ]


def test_without_declared_qualifiers_every_name_colon_is_unknown():
    parsed = parse("sku:1", [])
    assert parsed.problems == (SyntaxProblem(UNKNOWN_QUALIFIER, "sku:1", "sku"),)


def test_unicode_letters_are_words_and_names():
    assert terms("café crème") == [TextTerm("café", "café"), TextTerm("crème", "crème")]
    assert parse("größe:3", ["größe"]).terms == (QualifiedTerm("größe", "=", "3", "größe:3"),)


def test_tokenize_keeps_the_raw_text_of_each_token():
    assert [token.raw for token in tokenize('a "b c" -d:"e f"')] == ["a", '"b c"', '-d:"e f"']


def test_empty_and_blank_text_parse_to_nothing():
    assert parse("", QUALIFIERS).terms == ()
    assert parse("   \t ", QUALIFIERS).terms == ()
