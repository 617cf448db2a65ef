"""Reading transcripts in every supported format, with offsets into the stored text."""

import pytest

from cruxes.errors import InvalidInput
from cruxes.formats import NO_SPEAKERS, html_to_text, parse

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
        ("just some prose.", "plain", None, "No turns found in plain format: expected lines"),
        ("just some prose.", "lesswrong", None, "in lesswrong format: expected a speaker's name"),
        ("just some prose.", "markdown", None, "in markdown format: expected `**Name**`"),
        ("just some prose.", "stamped", None, "in stamped format: expected a timestamp"),
        ("<p></p><div></div>", "html", None, "no text once its markup is removed"),
        ("Link to original article\nView more\n", "auto", None, "No text is left"),
        ("Ana: hi", "yaml", None, "Unknown format 'yaml'"),
    ],
)
def test_failed_detection_names_the_format(text, fmt, speaker, message):
    with pytest.raises(InvalidInput) as err:
        parse(text, fmt, speaker)
    assert message in str(err.value)


PODCAST = (
    "00;00;00;00 - 00;00;05;10 Speaker 1 Okay, let's start. Probes are enough. "
    "00;00;05;11 - 00;00;07;02 Speaker 2 I doubt it. "
    "00;00;07;03 - 00;00;09;00 Speaker 1 Why?"
)
BRACKETED = """\
Interview: are probes enough?
[00:00:01] Lex Fridman So what do you think of probes? [00:00:04] Ana Lopez They are enough.
[00:00:09] Lex Fridman Why?
[00:00:11] Ana Lopez Because the direction transfers.
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            PODCAST,
            [
                ("Speaker 1", "Okay, let's start. Probes are enough."),
                ("Speaker 2", "I doubt it."),
                ("Speaker 1", "Why?"),
            ],
        ),
        (
            BRACKETED,
            [
                ("Lex Fridman", "So what do you think of probes?"),
                ("Ana Lopez", "They are enough."),
                ("Lex Fridman", "Why?"),
                ("Ana Lopez", "Because the direction transfers."),
            ],
        ),
    ],
)
def test_timestamped_exports_split_turns_run_together_on_one_line(text, expected):
    parsed = parse(text)
    assert (parsed.format, turns_of(parsed), parsed.notices) == ("stamped", expected, [])


def test_timestamped_section_titles_and_unpunctuated_titles_belong_to_no_turn():
    text = (
        "[00:00:00] Why probes fail\n"
        "Ana: Probes pick up the topic.\n"
        "Reverse engineering neural networks and correct ontology\n"
        "Ben: They track truth.\n"
        "Steering - 00:14:02\n"
        "Ana: It breaks fluency.\n"
    )
    parsed = parse(text)
    assert parsed.format == "plain"
    assert turns_of(parsed) == [
        ("Ana", "Probes pick up the topic."),
        ("Ben", "They track truth."),
        ("Ana", "It breaks fluency."),
    ]


TTS = """\
Link to original articleWelcome to The Nonlinear Library, where we use Text-to-Speech software.
Opening positions
I'm skeptical that probes find deception in models that hide it well.
Probes pick up the topic of a statement rather than its truth, in my experience...
Link to original article
Opening positions
I'm skeptical that probes find deception in models that hide it well.
Probes pick up the topic of a statement rather than its truth, in my experience so far.
We could test whether a probe beats a keyword baseline on planted lies in a model.
We could test whether a probe beats a keyword baseline on planted lies in a model.
View more
"""


def test_repeated_paragraphs_and_site_boilerplate_belong_to_no_turn_in_the_stored_text():
    parsed = parse(TTS)
    assert parsed.text == TTS  # stored as given: quotes and offsets refer to the original
    assert parsed.format == "single"
    assert turns_of(parsed) == [
        (
            "Author",
            "Opening positions\n"
            "I'm skeptical that probes find deception in models that hide it well.\n"
            "Probes pick up the topic of a statement rather than its truth, in my experience "
            "so far.",
        ),
        (
            "Author",
            "We could test whether a probe beats a keyword baseline on planted lies in a model.",
        ),
    ]
    [turn, second] = parsed.turns
    assert turn.start == TTS.index("Opening positions\nI'm", TTS.index("article\n"))
    assert second.end == TTS.rindex(".") + 1
    assert parsed.notices == [
        "Left out 4 repeated paragraphs and 3 lines of site boilerplate: the text is stored as "
        "given; no turn includes them.",
        NO_SPEAKERS,
    ]


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("Some say probes work.\n\nI think they fail on rare behaviours.\n", "auto"),
        ("- Do SAE features transfer across model sizes?\n- Do probes beat SAEs?\n", "auto"),
        # A label inside a post is not a dialogue: most of the text comes before it.
        ("Probes fail on rare behaviours, and I argue why below at length.\nEdit: typo.\n", "auto"),
        ("Probes fail on rare behaviours.\n", "single"),
        ("<p>prose only.</p><p>more.</p>", "auto"),
    ],
)
def test_text_without_speakers_is_one_author_with_a_notice(text, fmt):
    parsed = parse(text, fmt)
    assert parsed.format in ("single", "html/single")
    assert {t.speaker for t in parsed.turns} == {"Author"}
    assert parsed.notices == [NO_SPEAKERS]
    assert NO_SPEAKERS == (
        "No speaker names found: the text was imported as one author, 'Author'; rename the "
        "speaker if you know who wrote it."
    )
