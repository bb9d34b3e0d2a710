"""What ../shared/corpus/dita-ot-docs/SOURCE.md says of the corpus, for tests to compare with."""

FILES = 336  # 334 content files, LICENSE.md and SOURCE.md
ROOT_ELEMENTS = {
    "reference": 103,
    "concept": 83,
    "map": 53,
    "task": 47,
    "topic": 21,
    "glossentry": 14,
    "val": 6,
    "subjectScheme": 3,
    "bookmap": 1,
}
# Local href and conref targets that are missing (conrefend adds two more).
MISSING_HREF_AND_CONREF = 241
UNDEFINED_KEYS = 11
