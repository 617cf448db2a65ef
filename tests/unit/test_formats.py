"""Reading transcripts in every supported format, with offsets into the stored text."""

import pytest

from cruxes.errors import InvalidInput
from cruxes.formats import html_to_text, parse

PLAIN = """\
Team call, 3 May

## Opening

[00:00:05] Ana: I think probes are enough.
[00:00:09] Ben [00:00:09]: I doubt it.
It continues here.

Baselines

Ana: Maybe.
"""
LESSWRONG = """\
Opening positions
Ana Lopez
I think probes are enough.
Second paragraph.
Ben Ortiz
I doubt it.
Where we disagree
Ana Lopez
Maybe.
Ben Ortiz
Agreed
"""
MARKDOWN_BOLD = """\
# Notes

**Ana:** I think probes are enough.

**Ben**

I doubt it.

**Ana**: Maybe.
"""
MARKDOWN_HASH = """\
## Background

### Ana

I think probes are enough.

### Ben

I doubt it.

## Plans

### Ana

Maybe.
"""
HTML = """\
<html><head><title>x</title><style>p{}</style></head><body>
<h1>Export</h1>
<p><strong>Ana</strong></p><p>I think probes are &amp; will be enough.</p>
<p><strong>Ben</strong></p><p>I doubt it.<br>Really.</p>
<p><strong>Ana</strong></p><p>Maybe.</p>
</body></html>
"""
EXPECTED = [("Ana", "I think probes are enough."), ("Ben", "I doubt it."), ("Ana", "Maybe.")]


def turns_of(parsed):
    return [(t.speaker, parsed.text[t.start : t.end]) for t in parsed.turns]


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        (
            PLAIN,
            "plain",
            [
                ("Ana", "I think probes are enough."),
                ("Ben", "I doubt it.\nIt continues here."),
                ("Ana", "Maybe."),
            ],
        ),
        (
            LESSWRONG,
            "lesswrong",
            [
                ("Ana Lopez", "I think probes are enough.\nSecond paragraph."),
                ("Ben Ortiz", "I doubt it."),
                ("Ana Lopez", "Maybe."),
                ("Ben Ortiz", "Agreed"),
            ],
        ),
        (MARKDOWN_BOLD, "markdown", EXPECTED),
        (MARKDOWN_HASH, "markdown", EXPECTED),
        (
            HTML,
            "html/lesswrong",
            [
                ("Ana", "I think probes are & will be enough."),
                ("Ben", "I doubt it.\nReally."),
                ("Ana", "Maybe."),
            ],
        ),
    ],
)
def test_each_format_is_detected_with_exact_turns(text, fmt, expected):
    parsed = parse(text)
    assert parsed.format == fmt
    assert turns_of(parsed) == expected


def test_a_named_speaker_makes_a_single_author_post_split_at_headings():
    post = "# Title\n\nFirst I think X.\n\n## Part two\n\nThen Y.\n"
    parsed = parse(post, speaker="Dana")
    assert parsed.format == "single"
    assert turns_of(parsed) == [("Dana", "First I think X."), ("Dana", "Then Y.")]


def test_html_keeps_paragraphs_and_drops_scripts_and_styles():
    text = html_to_text("<p>One &lt;two&gt;</p><script>var x = 1;</script><p>Three</p>")
    assert text == "One <two>\n\nThree\n"


@pytest.mark.parametrize(
    ("text", "fmt", "speaker", "message"),
    [
        ("just some prose without speakers.", "auto", None, "tried the formats markdown"),
        ("just some prose.", "plain", None, "No turns found in plain format: expected lines"),
        ("just some prose.", "lesswrong", None, "in lesswrong format: expected a speaker's name"),
        ("just some prose.", "markdown", None, "in markdown format: expected `**Name**`"),
        ("text", "single", None, "needs its speaker's name"),
        ("<p>prose only.</p><p>more.</p>", "auto", None, "in this HTML export"),
        ("<p></p><div></div>", "html", None, "no text once its markup is removed"),
        ("Ana: hi", "yaml", None, "Unknown format 'yaml'"),
    ],
)
def test_failed_detection_names_the_format(text, fmt, speaker, message):
    with pytest.raises(InvalidInput) as err:
        parse(text, fmt, speaker)
    assert message in str(err.value)
