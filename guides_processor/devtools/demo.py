"""A synthetic, deterministic DITA content repository for demos, tests and benchmarks.

``generate_demo_content`` writes the kind of tree a technical documentation team keeps in a
component content management system: product folders with maps, topics and images, a shared
folder with a conref source, DITAVAL filters, a few Markdown, HTML, CSS and binary files, and a
small, known number of defects. The :class:`DemoSummary` it returns is exact by construction, so
the engine's tests can assert against it.

Layout (``<p>`` a product, ``<c>`` a component of that product)::

    README.md
    common/reuse/reuse.dita                     conref source (topic id "reuse")
    common/filters/{internal,print}.ditaval
    common/styles/docs.css  common/site/index.html  common/brand/logo.svg
    common/legal/third-party-notices.pdf
    common/translations/de-DE/Übersicht der Schnittstellen.dita    the one odd file name
    products/<p>/README.md
    products/<p>/downloads/<p>-quick-start.pdf, <p>-samples.zip
    products/<p>/maps/<p>.ditamap               keys for every topic and image, maprefs
    products/<p>/maps/<c>.ditamap               the component's topicrefs
    products/<p>/topics/<c>/{concepts,tasks,reference,glossary}/*.dita
    products/<p>/images/<c>/*.{png,svg}

A component holds about 48 content files, so folders stay small and a 100,000-file repository
has about 10,000 folders. Products scale as one per 2,500 files (at least three from 100 files).

What is right and what is broken, by design:

- Every ``href`` and ``conref`` in every file (DITA, Markdown, HTML, CSS) points at a file that
  exists, except ``broken_file_refs`` hrefs (one per carrier topic) to a ``*-retired.dita`` or
  ``*-retired.png`` that does not. External links carry ``scope="external"`` and a URL scheme.
- Every key used (``keyref``, the key part of ``conkeyref``) is defined by a ``keydef`` in the
  product's main map, except the ``undefined_keys`` (all named ``obsolete-*``), each used once.
- The ``malformed`` topics have a mismatched end tag; they contain no references at all, so what
  a parser would have found in them does not depend on how far it got.
- Defects scale as one of each kind per 500 files (at least one), in distinct topics.
- There are no ``.xml`` files, so the asset type follows from the extension alone.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from guides_processor.processing.result import (
    DITAMAP,
    DITATOPIC,
    DITAVAL,
    HTML_CSS,
    MARKDOWN,
    OTHERS,
)

MIN_FILES = 20
COMPONENT_FILES = 48
FILES_PER_PRODUCT = 2500
FILES_PER_DEFECT = 500
PROGRESS_EVERY = 1000

ODD_NAME = "common/translations/de-DE/Übersicht der Schnittstellen.dita"

ASSET_TYPE_BY_EXTENSION = {
    ".dita": DITATOPIC,
    ".ditamap": DITAMAP,
    ".ditaval": DITAVAL,
    ".md": MARKDOWN,
    ".html": HTML_CSS,
    ".css": HTML_CSS,
}


@dataclass(slots=True)
class DemoSummary:
    """What ``generate_demo_content`` wrote: the ground truth for the engine's tests.

    Paths are relative to the repository root and ``/``-separated. ``folders`` counts the folders
    below the root (the root itself excluded). ``by_asset_type`` has a key for every asset type,
    zero included. ``broken_file_refs`` counts ``href``/``conref`` occurrences whose target file
    does not exist; ``undefined_key_refs`` counts the occurrences of the ``undefined_keys``.
    """

    root: Path
    seed: int
    files: int
    folders: int
    by_extension: dict[str, int]
    by_asset_type: dict[str, int]
    malformed: list[str]
    broken_file_refs: int
    undefined_keys: list[str]
    undefined_key_refs: int
    odd_name: str = ODD_NAME
    broken_ref_sources: list[str] = field(default_factory=list)


def generate_demo_content(
    dest: Path,
    *,
    files: int = 300,
    seed: int = 0,
    progress: Callable[[int], object] | None = None,
) -> DemoSummary:
    """Write a demo repository of exactly ``files`` files into ``dest`` and describe it.

    ``files`` below 20 is rounded up to 20, the smallest repository that still holds every kind
    of file and every deliberate defect; ``DemoSummary.files`` is the number actually written.
    The same ``files`` and ``seed`` give byte-identical trees (on one Python minor version:
    ``random`` only promises that much). ``dest`` is created if missing.
    ``progress``, when given, is called with the number of files written since its last call
    (as ``tqdm.update`` expects); the calls add up to ``DemoSummary.files``.

    Raises ``FileExistsError`` when ``dest`` exists and is not an empty folder, and
    ``ValueError`` when ``files`` is below 1.
    """
    if files < 1:
        raise ValueError(f"files must be at least 1, not {files}.")
    dest = Path(dest)
    if dest.exists():
        if not dest.is_dir():
            raise FileExistsError(f"{dest} exists and is not a folder.")
        if any(dest.iterdir()):
            raise FileExistsError(f"{dest} is not empty; pick an empty or missing folder.")
    dest.mkdir(parents=True, exist_ok=True)

    total = max(files, MIN_FILES)
    rng = random.Random(seed)
    plan = _plan(total, rng)
    writer = _Writer(dest, progress)
    _write_common(writer, plan)
    for product in plan.products:
        _write_product(writer, product, rng)
    writer.flush_progress()
    if writer.files != total:  # a bug in the plan, not a user error
        raise AssertionError(f"wrote {writer.files} files, planned {total}")

    by_asset_type = dict.fromkeys((DITATOPIC, DITAMAP, DITAVAL, MARKDOWN, HTML_CSS, OTHERS), 0)
    for ext, count in writer.by_extension.items():
        by_asset_type[ASSET_TYPE_BY_EXTENSION.get(ext, OTHERS)] += count
    return DemoSummary(
        root=dest,
        seed=seed,
        files=writer.files,
        folders=len(writer.folders),
        by_extension=dict(sorted(writer.by_extension.items())),
        by_asset_type=by_asset_type,
        malformed=sorted(t.relpath for t in plan.malformed),
        broken_file_refs=len(plan.broken),
        undefined_keys=sorted(t.undefined_key for t in plan.undefined),
        undefined_key_refs=len(plan.undefined),
        broken_ref_sources=sorted(t.relpath for t in plan.broken),
    )


# --- vocabulary ------------------------------------------------------------------------------

PRODUCTS = [
    ("cloud-gateway", "Cloud Gateway"),
    ("data-vault", "Data Vault"),
    ("insight-analytics", "Insight Analytics"),
    ("fleet-manager", "Fleet Manager"),
    ("payments-hub", "Payments Hub"),
    ("identity-center", "Identity Center"),
    ("edge-cdn", "Edge CDN"),
    ("stream-bus", "Stream Bus"),
    ("mobile-sdk", "Mobile SDK"),
    ("search-service", "Search Service"),
    ("workflow-studio", "Workflow Studio"),
    ("observability-suite", "Observability Suite"),
]

COMPONENTS = [
    "getting-started",
    "administration",
    "security",
    "integrations",
    "billing",
    "monitoring",
    "networking",
    "storage",
    "developer-api",
    "command-line",
    "migration",
    "troubleshooting",
    "data-management",
    "identity",
    "automation",
    "reporting",
    "compliance",
    "mobile-apps",
    "deployment",
    "performance",
]

NOUNS = [
    "webhooks",
    "api-keys",
    "rate-limits",
    "audit-logs",
    "user-roles",
    "single-sign-on",
    "data-retention",
    "backups",
    "alerts",
    "dashboards",
    "service-accounts",
    "access-tokens",
    "environments",
    "deployments",
    "pipelines",
    "notifications",
    "quotas",
    "regions",
    "encryption-keys",
    "network-policies",
    "log-streams",
    "metrics",
    "workspaces",
    "projects",
    "invoices",
    "payment-methods",
    "subscriptions",
    "connectors",
    "data-exports",
    "search-indexes",
    "schemas",
    "releases",
    "feature-flags",
    "secrets",
    "certificates",
    "custom-domains",
    "load-balancers",
    "storage-buckets",
    "snapshots",
    "replicas",
    "clusters",
    "worker-nodes",
    "message-queues",
    "retry-policies",
    "templates",
    "permissions",
    "sessions",
    "devices",
]

VERBS = [
    "configure",
    "create",
    "enable",
    "disable",
    "rotate",
    "migrate",
    "delete",
    "monitor",
    "troubleshoot",
    "update",
    "export",
    "import",
    "restore",
    "secure",
    "manage",
    "upgrade",
    "verify",
    "schedule",
]

# (kind, subfolder, stem templates, title templates); {n} is the noun, {v} the verb.
STEMS = {
    "concept": (
        "concepts",
        [
            ("about-{n}", "About {t}"),
            ("{n}-overview", "{T} overview"),
            ("how-{n}-work", "How {t} work"),
            ("{n}-architecture", "{T} architecture"),
            ("{n}-best-practices", "Best practices for {t}"),
        ],
    ),
    "task": ("tasks", [("{v}-{n}", "{V} {t}")]),
    "reference": (
        "reference",
        [
            ("{n}-reference", "{T} reference"),
            ("{n}-parameters", "{T} parameters"),
            ("{n}-api", "{T} API"),
            ("{n}-limits", "{T} limits"),
            ("{n}-error-codes", "{T} error codes"),
            ("{n}-settings", "{T} settings"),
        ],
    ),
    "glossentry": ("glossary", [("term-{n}", "{T}")]),
    "topic": (
        "concepts",
        [
            ("{n}-faq", "{T}: frequently asked questions"),
            ("{n}-known-issues", "Known issues with {t}"),
        ],
    ),
    "png": ("", [("{n}-screenshot", "{T} page"), ("{n}-dashboard", "{T} dashboard")]),
    "svg": ("", [("{n}-diagram", "{T} diagram"), ("{n}-flow", "{T} flow")]),
}

# The order in which a component's files are laid out; the most common kinds come first so
# that even the smallest repository holds topics of every main type and both image formats.
SLOT_PATTERN = [
    "concept",
    "task",
    "png",
    "reference",
    "svg",
    "task",
    "concept",
    "glossentry",
    "task",
    "reference",
    "png",
    "topic",
    "task",
    "concept",
    "svg",
    "reference",
]

# Topics that can carry a deliberate defect: their bodies have room for it.
DEFECT_KINDS = ("concept", "task", "reference")

SENTENCES = [
    "Use {t} to control how your workspace handles incoming requests.",
    "{T} are evaluated in the order in which they are listed.",
    "Changes to {t} take effect within a few minutes and are recorded in the audit log.",
    "Administrators can review {t} from the console or through the REST API.",
    "By default, {t} are inherited from the parent project.",
    "If a request fails, the service retries it with exponential backoff.",
    "Plan the rollout of {t} together with your security team.",
    "Each environment keeps its own copy of {t}.",
    "The limits that apply to {t} depend on your subscription tier.",
    "You can filter the list by name, owner or creation date.",
    "Only users with the Owner role can change {t} in production.",
    "The console shows a warning when {t} are close to their quota.",
    "Automate this step in your CI pipeline so that every release is consistent.",
    "Export the current configuration before you make large changes.",
    "{T} are replicated to every region that your project uses.",
    "Most teams review {t} once per quarter.",
    "Deleted items stay recoverable for 30 days.",
    "Tags help you group {t} by team, cost center or environment.",
]

STEP_COMMANDS = [
    "Sign in to the console as an administrator.",
    "Open the <uicontrol>{T}</uicontrol> page.",
    "Click <uicontrol>New</uicontrol> and enter a name.",
    "Select the environment that you want to change.",
    "Review the summary and click <uicontrol>Save</uicontrol>.",
    "Run <codeph>acmectl {n} list</codeph> to check the result.",
    "Copy the identifier shown in the details panel.",
    "Wait until the status changes to <uicontrol>Ready</uicontrol>.",
]

PROPERTY_TYPES = ["string", "integer", "boolean", "duration", "list of strings"]
PROPERTY_NAMES = [
    "name",
    "enabled",
    "max_retries",
    "timeout",
    "region",
    "owner",
    "labels",
    "description",
    "retention_days",
    "priority",
]

DOCTYPE = {
    "concept": '<!DOCTYPE concept PUBLIC "-//OASIS//DTD DITA Concept//EN" "concept.dtd">',
    "task": '<!DOCTYPE task PUBLIC "-//OASIS//DTD DITA Task//EN" "task.dtd">',
    "reference": '<!DOCTYPE reference PUBLIC "-//OASIS//DTD DITA Reference//EN" "reference.dtd">',
    "glossentry": (
        '<!DOCTYPE glossentry PUBLIC "-//OASIS//DTD DITA Glossary Entry//EN" "glossentry.dtd">'
    ),
    "topic": '<!DOCTYPE topic PUBLIC "-//OASIS//DTD DITA Topic//EN" "topic.dtd">',
    "map": '<!DOCTYPE map PUBLIC "-//OASIS//DTD DITA Map//EN" "map.dtd">',
}
BODY = {"concept": "conbody", "task": "taskbody", "reference": "refbody", "topic": "body"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# From a topic (products/<p>/topics/<c>/<sub>/) and a map (products/<p>/maps/) to the root.
TOPIC_TO_ROOT = "../../../../../"
MAP_TO_ROOT = "../../../"
REUSE = "common/reuse/reuse.dita"
REUSE_KEY = "shared-reuse"


# --- the plan --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Topic:
    kind: str
    stem: str
    title: str
    noun: str
    subfolder: str
    relpath: str
    defect: str = ""  # "", "malformed", "broken" or "undefined"
    undefined_key: str = ""


@dataclass(slots=True)
class _Image:
    ext: str
    stem: str
    title: str
    relpath: str


@dataclass(slots=True)
class _Component:
    name: str
    title: str
    nouns: list[str]
    topics: list[_Topic] = field(default_factory=list)
    images: list[_Image] = field(default_factory=list)


@dataclass(slots=True)
class _Product:
    name: str
    title: str
    version: str
    components: list[_Component] = field(default_factory=list)


@dataclass(slots=True)
class _Plan:
    products: list[_Product]
    malformed: list[_Topic]
    broken: list[_Topic]
    undefined: list[_Topic]


COMMON_FILES = 9  # written by _write_common
PRODUCT_FILES = 4  # main map, README.md, a PDF and a ZIP; plus one sub-map per component


def _plan(total: int, rng: random.Random) -> _Plan:
    """Decide every file name and every defect, so that the file count is exact."""
    n_products = 1 if total < 100 else max(3, total // FILES_PER_PRODUCT)
    remaining = total - COMMON_FILES - n_products * PRODUCT_FILES
    # Each component costs its content files plus one sub-map.
    n_components = max(n_products, -(-remaining // (COMPONENT_FILES + 1)))
    slots = remaining - n_components

    products: list[_Product] = []
    component_index = 0
    for p in range(n_products):
        base, base_title = PRODUCTS[p % len(PRODUCTS)]
        generation = p // len(PRODUCTS) + 1
        name = base if generation == 1 else f"{base}-v{generation}"
        title = base_title if generation == 1 else f"{base_title} v{generation}"
        product = _Product(name, title, f"{generation}.{rng.randrange(10)}")
        products.append(product)
        used: set[str] = set()  # stems, hence keys, are unique within a product
        n_here = n_components // n_products + (p < n_components % n_products)
        for c in range(n_here):
            cname = COMPONENTS[c % len(COMPONENTS)]
            if c >= len(COMPONENTS):
                cname = f"{cname}-{c // len(COMPONENTS) + 1}"
            component = _Component(
                cname, cname.replace("-", " ").capitalize(), rng.sample(NOUNS, 6)
            )
            product.components.append(component)
            n_slots = slots // n_components + (component_index < slots % n_components)
            component_index += 1
            for s in range(n_slots):
                _plan_slot(product, component, SLOT_PATTERN[s % len(SLOT_PATTERN)], used, rng)

    n_defects = max(1, total // FILES_PER_DEFECT)
    pool = [
        t
        for product in products
        for component in product.components
        for t in component.topics
        if t.kind in DEFECT_KINDS
    ]
    picked = [pool[i] for i in rng.sample(range(len(pool)), 3 * n_defects)]
    malformed = picked[:n_defects]
    broken = picked[n_defects : 2 * n_defects]
    undefined = picked[2 * n_defects :]
    for t in malformed:
        t.defect = "malformed"
    for t in broken:
        t.defect = "broken"
    for i, t in enumerate(undefined):
        t.defect = "undefined"
        t.undefined_key = f"obsolete-{t.noun}-{i + 1:04d}"
    return _Plan(products, malformed, broken, undefined)


def _plan_slot(
    product: _Product, component: _Component, kind: str, used: set[str], rng: random.Random
) -> None:
    subfolder, templates = STEMS[kind]
    noun = rng.choice(component.nouns)
    verb = rng.choice(VERBS)
    stem_template, title_template = rng.choice(templates)
    stem = base = stem_template.format(n=noun, v=verb)
    k = 1
    while stem in used:
        k += 1
        stem = f"{base}-{k}"
    used.add(stem)
    words = noun.replace("-", " ")
    title = title_template.format(t=words, T=words.capitalize(), V=verb.capitalize())
    if kind in ("png", "svg"):
        relpath = f"products/{product.name}/images/{component.name}/{stem}.{kind}"
        component.images.append(_Image(kind, stem, title, relpath))
    else:
        relpath = f"products/{product.name}/topics/{component.name}/{subfolder}/{stem}.dita"
        component.topics.append(_Topic(kind, stem, title, noun, subfolder, relpath))


# --- writing ---------------------------------------------------------------------------------


WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


class _Writer:
    """Writes files under the root, creating folders once, counting what it wrote."""

    def __init__(self, root: Path, progress: Callable[[int], object] | None) -> None:
        self.root = os.fsencode(root)
        self.progress = progress
        self.files = 0
        self.pending = 0
        self.folders: set[str] = set()
        self.by_extension: dict[str, int] = {}

    def write(self, relpath: str, data: bytes | str) -> None:
        folder = relpath.rpartition("/")[0]
        if folder not in self.folders:
            # Encode the path ourselves: the odd file name must be UTF-8 on disk whatever the
            # locale says.
            os.makedirs(self.root + b"/" + folder.encode(), exist_ok=True)
            while folder and folder not in self.folders:
                self.folders.add(folder)
                folder = folder.rpartition("/")[0]
        if isinstance(data, str):
            data = data.encode()
        # os.open rather than open(): a buffered file object costs three more system calls
        # per file (fstat, ioctl, lseek), which shows at 100,000 files. O_EXCL: never overwrite.
        fd = os.open(self.root + b"/" + relpath.encode(), WRITE_FLAGS, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        ext = os.path.splitext(relpath)[1].lower()
        self.by_extension[ext] = self.by_extension.get(ext, 0) + 1
        self.files += 1
        self.pending += 1
        if self.pending >= PROGRESS_EVERY:
            self.flush_progress()

    def flush_progress(self) -> None:
        if self.progress is not None and self.pending:
            self.progress(self.pending)
        self.pending = 0


def _write_common(w: _Writer, plan: _Plan) -> None:
    product_links = "\n".join(f"- [{p.title}](products/{p.name}/README.md)" for p in plan.products)
    w.write(
        "README.md",
        f"""# Product documentation

This repository holds the DITA sources of the product documentation. Every product has its
own folder under `products/` with a main map, topics and images. Shared content lives in
`common/`.

## Products

{product_links}

## Conventions

- Reuse fragments through `common/reuse/reuse.dita`, never by copying text.
- Filter internal content with [internal.ditaval](common/filters/internal.ditaval).
- The [style preview](common/site/index.html) shows how the output looks.
- Follow the [DITA 1.3 specification](https://docs.oasis-open.org/dita/dita/v1.3/dita-v1.3-part3-all-inclusive.html).
""",
    )
    w.write(REUSE, REUSE_TOPIC)
    w.write("common/filters/internal.ditaval", DITAVAL_INTERNAL)
    w.write("common/filters/print.ditaval", DITAVAL_PRINT)
    w.write("common/styles/docs.css", DOCS_CSS)
    w.write("common/site/index.html", INDEX_HTML)
    w.write("common/brand/logo.svg", _svg(160, 48, "Example Docs", "#1f6feb"))
    w.write(
        "common/legal/third-party-notices.pdf",
        _pdf("Third-party notices", "This product includes software developed by others."),
    )
    w.write(ODD_NAME, ODD_TOPIC)


def _write_product(w: _Writer, product: _Product, rng: random.Random) -> None:
    p = product.name
    w.write(f"products/{p}/README.md", _product_readme(product))
    w.write(
        f"products/{p}/downloads/{p}-quick-start.pdf",
        _pdf(f"{product.title} quick start", f"Version {product.version}. Install, sign in, go."),
    )
    w.write(f"products/{p}/downloads/{p}-samples.zip", _samples_zip(product))
    w.write(f"products/{p}/maps/{p}.ditamap", _main_map(product))
    for component in product.components:
        w.write(f"products/{p}/maps/{component.name}.ditamap", _sub_map(product, component))
        for t in component.topics:
            w.write(t.relpath, _topic(product, component, t, rng))
        for image in component.images:
            w.write(image.relpath, _image(image, rng))


# --- DITA ------------------------------------------------------------------------------------


def _main_map(product: _Product) -> str:
    p = product.name
    lines = [
        XML_DECLARATION,
        DOCTYPE["map"],
        f'\n<map id="{p}" xml:lang="en-US">\n',
        f"  <title>{product.title} documentation</title>\n",
        "  <topicmeta>\n",
        "    <author>Technical Publications</author>\n",
        f'    <othermeta name="product" content="{p}"/>\n',
        "  </topicmeta>\n",
        f'  <ditavalref href="{MAP_TO_ROOT}common/filters/internal.ditaval"/>\n',
        "  <!-- Text keys -->\n",
        '  <keydef keys="product-name productname">\n',
        f"    <topicmeta><keywords><keyword>{product.title}</keyword></keywords></topicmeta>\n",
        "  </keydef>\n",
        '  <keydef keys="product-version">\n',
        f"    <topicmeta><keywords><keyword>{product.version}</keyword></keywords></topicmeta>\n",
        "  </keydef>\n",
        '  <keydef keys="company-name">\n',
        "    <topicmeta><keywords><keyword>Example Corp</keyword></keywords></topicmeta>\n",
        "  </keydef>\n",
        f'  <keydef keys="support-site" href="https://support.example.com/{p}"'
        ' scope="external" format="html"/>\n',
        f'  <keydef keys="{REUSE_KEY}" href="{MAP_TO_ROOT}{REUSE}"/>\n',
        "  <!-- Topic and image keys -->\n",
    ]
    for component in product.components:
        c = component.name
        for t in component.topics:
            lines.append(
                f'  <keydef keys="{t.stem}" href="../topics/{c}/{t.subfolder}/{t.stem}.dita"/>\n'
            )
        for image in component.images:
            lines.append(
                f'  <keydef keys="img-{image.stem}" href="../images/{c}/{image.stem}.{image.ext}"'
                f' format="{image.ext}"/>\n'
            )
    for component in product.components:
        lines.append(f'  <mapref href="{component.name}.ditamap" format="ditamap"/>\n')
    rows = []
    for component in product.components:
        concept = next((t for t in component.topics if t.kind == "concept"), None)
        task = next((t for t in component.topics if t.kind == "task"), None)
        if concept and task:
            rows.append(
                f'    <relrow><relcell><topicref keyref="{concept.stem}"/></relcell>'
                f'<relcell><topicref keyref="{task.stem}"/></relcell></relrow>\n'
            )
    if rows:
        lines.append("  <reltable>\n")
        lines.extend(rows)
        lines.append("  </reltable>\n")
    lines.append("</map>\n")
    return "".join(lines)


def _sub_map(product: _Product, component: _Component) -> str:
    c = component.name
    lines = [
        XML_DECLARATION,
        DOCTYPE["map"],
        f'\n<map id="{product.name}-{c}" xml:lang="en-US">\n',
        f"  <title>{component.title}</title>\n",
    ]
    by_kind: dict[str, list[_Topic]] = {}
    for t in component.topics:
        by_kind.setdefault(t.kind, []).append(t)
    for kind, heading in (
        ("concept", "Concepts"),
        ("topic", "Questions"),
        ("task", "Tasks"),
        ("reference", "Reference"),
        ("glossentry", "Glossary"),
    ):
        topics = by_kind.get(kind)
        if not topics:
            continue
        lines.append(f'  <topichead navtitle="{heading}">\n')
        for t in topics:
            lines.append(
                f'    <topicref href="../topics/{c}/{t.subfolder}/{t.stem}.dita"'
                f' type="{t.kind}"/>\n'
            )
        lines.append("  </topichead>\n")
    lines.append("</map>\n")
    return "".join(lines)


def _sentences(rng: random.Random, t: _Topic, k: int) -> str:
    words = t.noun.replace("-", " ")
    cap = words.capitalize()
    return " ".join(s.format(t=words, T=cap) for s in rng.sample(SENTENCES, k))


def _inline_refs(
    component: _Component,
    t: _Topic,
    rng: random.Random,
    siblings: list[_Topic],
    href: Callable[[_Topic], str],
) -> list[str]:
    """The sentences of a topic's body that hold references, broken and undefined ones included."""
    refs: list[str] = []
    if siblings:
        s = rng.choice(siblings)
        refs.append(f'For background, see <xref href="{href(s)}#{s.stem}"/>.')
        s = rng.choice(siblings)
        refs.append(f'Related: <xref keyref="{s.stem}"/>.')
    if rng.random() < 0.5:
        refs.append(f'<ph conref="{TOPIC_TO_ROOT}{REUSE}#reuse/product-note"/>')
    if rng.random() < 0.3:
        refs.append('Contact <xref keyref="support-site"/> if the problem persists.')
    if rng.random() < 0.2:
        refs.append(
            "The protocol follows "
            '<xref href="https://www.rfc-editor.org/rfc/rfc9110" scope="external"'
            ' format="html">RFC 9110</xref>.'
        )
    if t.defect == "broken":
        if rng.random() < 0.5:
            refs.append(
                f'The previous behaviour is described in <xref href="../concepts/'
                f'{t.noun}-retired.dita"/>.'
            )
        else:
            refs.append(
                f'<image href="../../../images/{component.name}/{t.noun}-retired.png">'
                "<alt>Old screen</alt></image>"
            )
    if t.defect == "undefined":
        key = t.undefined_key
        form = int(key.rpartition("-")[2]) % 3
        if form == 0:
            refs.append(f'See also <xref keyref="{key}"/>.')
        elif form == 1:
            refs.append(f'This applies to <ph keyref="{key}"/> only.')
        else:
            refs.append(f'<ph conkeyref="{key}/product-note"/>')
    return refs


def _figure(component: _Component, rng: random.Random) -> str:
    """A figure of one of the component's images, by path or by key; or none."""
    figure = ""
    if component.images and rng.random() < 0.5:
        image = rng.choice(component.images)
        if rng.random() < 0.7:
            figure = (
                f"<fig><title>{image.title}</title>"
                f'<image href="../../../images/{component.name}/{image.stem}.{image.ext}">'
                f"<alt>{image.title}</alt></image></fig>"
            )
        else:
            figure = f'<fig><title>{image.title}</title><image keyref="img-{image.stem}"/></fig>'
    return figure


def _topic(product: _Product, component: _Component, t: _Topic, rng: random.Random) -> str:
    if t.defect == "malformed":
        return _malformed_topic(t, rng)
    if t.kind == "glossentry":
        return (
            f"{XML_DECLARATION}{DOCTYPE['glossentry']}\n"
            f'<glossentry id="{t.stem}" xml:lang="en-US">\n'
            f"  <glossterm>{t.title}</glossterm>\n"
            f"  <glossdef>{_sentences(rng, t, 2)}</glossdef>\n"
            "</glossentry>\n"
        )

    siblings = [s for s in component.topics if s is not t]
    here = t.subfolder

    def href(s: _Topic) -> str:
        name = f"{s.stem}.dita"
        return name if s.subfolder == here else f"../{s.subfolder}/{name}"

    # Inline references, each a sentence of its own, spread over the body below.
    refs = _inline_refs(component, t, rng, siblings, href)
    rng.shuffle(refs)
    figure = _figure(component, rng)

    shortdesc = (
        f'<shortdesc>{_sentences(rng, t, 1)} Applies to <ph keyref="product-name"/>'
        ' <ph keyref="product-version"/>.</shortdesc>'
    )
    paras = [f"<p>{_sentences(rng, t, rng.randint(2, 4))} {r}</p>" for r in refs]
    paras.insert(0, f"<p>{_sentences(rng, t, rng.randint(2, 4))}</p>")
    if rng.random() < 0.15:
        paras.append(f'<p audience="internal">{_sentences(rng, t, 1)}</p>')
    if rng.random() < 0.2:
        paras.append(f'<p conkeyref="{REUSE_KEY}/support-statement"/>')
    if rng.random() < 0.15:
        paras.append(f'<note conref="{TOPIC_TO_ROOT}{REUSE}#reuse/support-note"/>')

    related = ""
    if siblings and rng.random() < 0.6:
        s = rng.choice(siblings)
        related = f'  <related-links>\n    <link href="{href(s)}"/>\n  </related-links>\n'

    if t.kind == "task":
        body = _task_body(rng, t, paras, figure)
    elif t.kind == "reference":
        body = _reference_body(rng, t, paras, figure)
    else:
        body = (
            f"  <{BODY[t.kind]}>\n    "
            + "\n    ".join(paras)
            + f'\n    <section id="details">\n      <title>Details</title>\n'
            f"      <p>{_sentences(rng, t, 2)} "
            f'See also <xref href="#{t.stem}/details"/>.</p>\n'
            f"      {figure}\n    </section>\n"
            f"  </{BODY[t.kind]}>\n"
        )
    return (
        f"{XML_DECLARATION}{DOCTYPE[t.kind]}\n"
        f'<{t.kind} id="{t.stem}" xml:lang="en-US">\n'
        f"  <title>{t.title}</title>\n"
        f"  {shortdesc}\n"
        f"  <prolog><author>Technical Publications</author>"
        f'<metadata><othermeta name="component" content="{component.name}"/></metadata>'
        f"</prolog>\n"
        f"{body}{related}</{t.kind}>\n"
    )


def _task_body(rng: random.Random, t: _Topic, paras: list[str], figure: str) -> str:
    words = t.noun.replace("-", " ")
    steps = "".join(
        f"\n      <step><cmd>{cmd.format(n=t.noun, T=words.capitalize())}</cmd></step>"
        for cmd in rng.sample(STEP_COMMANDS, rng.randint(3, 6))
    )
    return (
        "  <taskbody>\n"
        "    <prereq><p>You need the Owner or Administrator role.</p></prereq>\n"
        "    <context>\n      " + "\n      ".join(paras) + f"\n      {figure}\n    </context>\n"
        f"    <steps>{steps}\n    </steps>\n"
        f"    <result><p>{_sentences(rng, t, 1)}</p></result>\n"
        "  </taskbody>\n"
    )


def _reference_body(rng: random.Random, t: _Topic, paras: list[str], figure: str) -> str:
    rows = "".join(
        f"\n        <property><proptype>{rng.choice(PROPERTY_TYPES)}</proptype>"
        f"<propvalue><codeph>{name}</codeph></propvalue>"
        f"<propdesc>{_sentences(rng, t, 1)}</propdesc></property>"
        for name in rng.sample(PROPERTY_NAMES, rng.randint(3, 6))
    )
    return (
        "  <refbody>\n"
        '    <section id="details">\n      <title>Details</title>\n      '
        + "\n      ".join(paras)
        + f"\n      {figure}\n    </section>\n"
        "    <properties>\n"
        "      <prophead><proptypehd>Type</proptypehd><propvaluehd>Name</propvaluehd>"
        f"<propdeschd>Description</propdeschd></prophead>{rows}\n"
        "    </properties>\n"
        "  </refbody>\n"
    )


def _malformed_topic(t: _Topic, rng: random.Random) -> str:
    """A draft with a mismatched end tag and, deliberately, no references."""
    body = BODY[t.kind]
    if rng.random() < 0.5:
        broken = f"<p>{_sentences(rng, t, 2)} <b>Important: review this draft.</i></p>"
    else:
        broken = f"<ul><li>{_sentences(rng, t, 1)}</li><li>Check the limits.</ul>"
    return (
        f"{XML_DECLARATION}{DOCTYPE[t.kind]}\n"
        f'<{t.kind} id="{t.stem}" xml:lang="en-US">\n'
        f"  <title>{t.title}</title>\n"
        f"  <shortdesc>{_sentences(rng, t, 1)}</shortdesc>\n"
        f"  <{body}>\n"
        f"    <p>{_sentences(rng, t, 3)}</p>\n"
        f"    {broken}\n"
        f"  </{body}>\n"
        f"</{t.kind}>\n"
    )


REUSE_TOPIC = f"""{XML_DECLARATION}{DOCTYPE["topic"]}
<topic id="reuse" xml:lang="en-US">
  <title>Reusable content</title>
  <shortdesc>Fragments that other topics pull in by conref or conkeyref. Do not publish.</shortdesc>
  <body>
    <p>This product is part of the <ph id="product-note">Example Corp cloud platform</ph>.</p>
    <p id="support-statement">Support is available around the clock for customers with a
      Premium plan. See <xref href="https://support.example.com" scope="external"
      format="html">the support site</xref> or write to
      <xref href="mailto:support@example.com" scope="external" format="email"/>.</p>
    <note id="support-note" type="important">Back up your configuration before you upgrade.</note>
  </body>
</topic>
"""

ODD_TOPIC = f"""{XML_DECLARATION}{DOCTYPE["concept"]}
<concept id="uebersicht-schnittstellen" xml:lang="de-DE">
  <title>Übersicht der Schnittstellen</title>
  <shortdesc>Diese Übersicht beschreibt die öffentlichen Schnittstellen aller Produkte.</shortdesc>
  <conbody>
    <p>Alle Schnittstellen verwenden HTTPS und liefern Antworten im JSON-Format.</p>
    <p>Änderungen werden in den Versionshinweisen angekündigt. Größere Umstellungen gelten
      frühestens nach zwölf Monaten.</p>
    <note conref="../../reuse/reuse.dita#reuse/support-note"/>
  </conbody>
</concept>
"""

DITAVAL_INTERNAL = """<?xml version="1.0" encoding="UTF-8"?>
<val>
  <!-- Customer-facing output: drop internal notes, flag what changed in this release. -->
  <prop action="exclude" att="audience" val="internal"/>
  <prop action="include" att="platform" val="linux"/>
  <prop action="include" att="platform" val="windows"/>
  <revprop action="flag" val="next" changebar="solid" color="blue"/>
</val>
"""

DITAVAL_PRINT = """<?xml version="1.0" encoding="UTF-8"?>
<val>
  <prop action="exclude" att="audience" val="internal"/>
  <prop action="exclude" att="outputclass" val="screen-only"/>
  <prop action="passthrough" att="deliveryTarget" val="pdf"/>
</val>
"""

DOCS_CSS = """/* Preview styles for the documentation output. */
:root {
  --accent: #1f6feb;
  --text: #1f2328;
}

body {
  font-family: system-ui, sans-serif;
  color: var(--text);
  max-width: 48rem;
  margin: 0 auto;
  padding: 2rem;
}

header {
  background: url("../brand/logo.svg") no-repeat left center;
  padding-left: 176px;
  min-height: 48px;
}

.note {
  border-left: 4px solid var(--accent);
  padding: 0.5rem 1rem;
}

code,
.codeph {
  font-family: ui-monospace, monospace;
}
"""

INDEX_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Documentation style preview</title>
  <link rel="stylesheet" href="../styles/docs.css">
</head>
<body>
  <header><img src="../brand/logo.svg" alt="Example Docs" width="160" height="48"></header>
  <h1>Documentation style preview</h1>
  <p>This page shows how headings, notes and code look in the published output.</p>
  <p class="note">Notes stand out with a coloured bar.</p>
  <p>Inline <code>code</code> uses a monospace font.</p>
  <p>Back to the <a href="../../README.md">repository overview</a>, or read the
    <a href="https://www.oasis-open.org/committees/dita/">DITA committee pages</a>.</p>
</body>
</html>
"""


def _product_readme(product: _Product) -> str:
    p = product.name
    components = "\n".join(f"- {c.title}: [map](maps/{c.name}.ditamap)" for c in product.components)
    return f"""# {product.title}

![Example Docs](../../common/brand/logo.svg)

Sources of the {product.title} {product.version} documentation. Build from the
[main map](maps/{p}.ditamap); the [quick start](downloads/{p}-quick-start.pdf) is published
separately.

## Components

{components}
"""


# --- binaries --------------------------------------------------------------------------------


def _image(image: _Image, rng: random.Random) -> bytes:
    width, height = rng.choice(IMAGE_SIZES)
    if image.ext == "png":
        return _png(width, height, rng.randrange(len(PNG_COLORS)), image.title)
    return _svg(width, height, image.title, rng.choice(SVG_COLORS)).encode()


IMAGE_SIZES = [(64, 48), (120, 80), (160, 120), (240, 160), (320, 200)]
PNG_COLORS = [((246, 248, 250), (31, 111, 235)), ((255, 255, 255), (26, 127, 55))]
SVG_COLORS = ["#1f6feb", "#1a7f37", "#9a6700", "#8250df"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_png_idat_cache: dict[tuple[int, int, int], bytes] = {}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, color: int, title: str) -> bytes:
    """A real RGB PNG: a coloured title bar over a light background, and a tEXt title.

    The compressed pixels are cached per size and colour; the title makes every file distinct.
    """
    idat = _png_idat_cache.get((width, height, color))
    if idat is None:
        background, bar = PNG_COLORS[color]
        bar_rows = max(4, height // 8)
        row_bar = b"\x00" + bytes(bar) * width  # filter type 0 (None) per row
        row_bg = b"\x00" + bytes(background) * width
        idat = zlib.compress(row_bar * bar_rows + row_bg * (height - bar_rows), 9)
        _png_idat_cache[(width, height, color)] = idat
    return b"".join(
        (
            PNG_SIGNATURE,
            _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            _png_chunk(b"tEXt", b"Title\x00" + title.encode("latin-1")),
            _png_chunk(b"IDAT", idat),
            _png_chunk(b"IEND", b""),
        )
    )


def _svg(width: int, height: int, title: str, color: str) -> str:
    box = max(20, width // 4)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" \
viewBox="0 0 {width} {height}">
  <title>{title}</title>
  <rect width="{width}" height="{height}" fill="#f6f8fa"/>
  <rect x="8" y="8" width="{box}" height="{height // 3}" rx="4" fill="{color}"/>
  <rect x="{width - box - 8}" y="8" width="{box}" height="{height // 3}" rx="4" fill="{color}"/>
  <line x1="{box + 8}" y1="{8 + height // 6}" x2="{width - box - 8}" y2="{8 + height // 6}" \
stroke="#57606a" stroke-width="2"/>
  <text x="8" y="{height - 8}" font-family="sans-serif" font-size="10">{title}</text>
</svg>
"""


def _pdf(title: str, text: str) -> bytes:
    """A one-page PDF 1.4 with a correct cross-reference table."""
    content = f"BT /F1 18 Tf 72 720 Td ({title}) Tj /F1 11 Tf 0 -28 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Title (%s) /Producer (guides-asset-processor demo) >>" % title.encode(),
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        len(objects),
        xref,
    )
    return bytes(out)


def _samples_zip(product: _Product) -> bytes:
    """A small ZIP with fixed timestamps, so that it is byte-identical on every run."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in (
            ("samples/README.txt", f"Code samples for {product.title} {product.version}.\n"),
            (
                "samples/config.yaml",
                f"product: {product.name}\nregion: eu-west-1\nretries: 3\ntimeout: 30s\n",
            ),
        ):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, text)
    return buffer.getvalue()
