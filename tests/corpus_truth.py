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
# Local href and conref targets that are missing. SOURCE.md's "conrefend adds two more" counts
# the files named by the corpus's two conrefends; both sit beside a conkeyref, whose key replaces
# that file, so processing does not check them as files.
MISSING_HREF_AND_CONREF = 241
# Of those, the one with scope="peer": userguide.ditamap's reltable topicref to api/index.html
# (the generated API docs). A peer target is not available at build time, so it is not checked
# (DITA 1.3 part 2, "The @scope attribute"): reported unbroken, with its scope.
PEER = [("userguide.ditamap", "api/index.html")]
UNDEFINED_KEYS = 11
# Of the MISSING_HREF_AND_CONREF, the two hrefs that leave the folder ("../../..."): OUTSIDE_ROOT;
# the rest are FILE_MISSING.
OUTSIDE_ROOT = 2
# Root maps (maps no other map references): each has its own key space. changes.ditamap lists the
# release notes of 1.x and defines no key, so keys its topics use that other maps define are
# undefined where those topics are built (DITA-OT says DOTJ047I): four more keys than the 11
# defined nowhere.
ROOT_MAPS = [
    "release-notes/changes.ditamap",
    "site.ditamap",
    "userguide-book.ditamap",
    "userguide.ditamap",
]
UNDEFINED_IN_THEIR_ROOT_MAP = {"dita-ot-issues", "tool.ant.version", "tool.icu4j.version",
                               "tool.xerces.version"}  # fmt: skip
# The one reference to an id its target does not have: rel3.4.dita's conkeyref
# "using-project-files/projects-desc" (no element of the corpus has id "projects-desc").
ELEMENT_MISSING = [("release-notes/rel3.4.dita", "using-project-files/projects-desc")]
ELEMENTS_WITH_ID = 1856
