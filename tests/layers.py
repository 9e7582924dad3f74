"""Every place an app reaches an app above it, in its Python modules and its templates.

The apps depend one way: ``crm -> forecasting -> pipeline -> contacts -> accounts -> core``.
A reach is a dependency the other way round, by any of the doors Django leaves open:

- Python: an import (at the top, inside a function, relative, or through ``import_module``);
  an app registry look-up (``apps.get_model("pipeline", ...)``); a string naming a higher
  app's module, model (``"pipeline.Opportunity"``), migration, template or URL; a reverse
  relation that a higher app declares onto a lower app's model, used as an attribute
  (``lead.touchpoints``) or in a lookup (``opportunities__status``); and, in core, accounts
  and contacts, a walk over ``_meta`` relations (``related_model``, ``get_fields()``), which
  reaches whatever happens to point at a model.
- Templates: ``{% url %}`` with a higher app's namespace or URL name, ``{% include %}`` or
  ``{% extends %}`` of a higher app's template, ``{% load %}`` of its tag library, and a
  variable that follows a higher app's reverse relation (``company.opportunities.all``).
  A template named by a variable (``{% include panel.template %}``) is how a higher app
  fills a lower app's extension point; it is not a reach.

Migrations are read like any module: a migration depends on, and points foreign keys at,
its own app and the apps below, as the models it records do.

Ownership is read from the running project (app configs, the URLconf, the template
engine's tag libraries, the models' relations), so a relation or URL added later is
covered without editing this module.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType

from django.apps import apps
from django.template import engines
from django.urls import URLPattern, URLResolver, get_resolver

LAYERS = ("core", "accounts", "contacts", "pipeline", "forecasting", "crm")
RANK = {app: rank for rank, app in enumerate(LAYERS)}
ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

# Template folders that are no app's label: the project's own pages and e-mails (crm).
PROJECT_TEMPLATE_DIRS = frozenset({"crm", "imports", "webhooks", "email", "registration", "api"})
# Top-level templates of the project: the site's layout and its error pages. Every other
# top-level file (``_list_page.html``, ``_pagination.html``, ``_field.html``...) is core's.
PROJECT_TEMPLATES = frozenset({"base.html", "403.html", "404.html", "500.html"})
# Templates any app may name: the project's layout, which every page fills, and the pages
# of Django's auth views (registration/), which the project provides and an app's views may
# ask for by their conventional names, as Django's own views do.
LAYOUT = "base.html"
CONVENTIONAL_TEMPLATE_DIR = "registration/"
# Apps that may not walk model relations: whatever points at their models belongs to apps
# above them (pipeline's deals point at contacts, everything points at accounts' users).
NO_RELATION_WALKS = frozenset({"core", "accounts", "contacts"})
RELATION_WALK_ATTRIBUTES = frozenset({"related_model", "related_objects", "fields_map"})
REGISTRY_LOOKUPS = frozenset(
    {"get_model", "get_registered_model", "get_app_config", "is_installed"}
)
IMPORT_CALLS = frozenset({"import_module", "__import__"})
URL_CALLS = frozenset({"reverse", "reverse_lazy", "redirect", "resolve_url"})
MIGRATION_NAME = re.compile(r"^(\d{4}_\w+|__first__|__latest__)$")
DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")
URL_NAME = re.compile(r"^([a-z_]\w*):[\w-]+$")
TEMPLATE_NAME = re.compile(r"^[\w-]+/[\w/.-]+\.(html|txt)(#[\w-]+)?$")
TEMPLATE_TAG = re.compile(r"{%\s*(url|include|extends|load)\s+(.*?)\s*%}", re.S)
TEMPLATE_CODE = re.compile(r"{{(.*?)}}|{%(.*?)%}", re.S)
QUOTED = re.compile(r"""(['"])(.*?)\1""")
ATTRIBUTE = re.compile(r"\.(\w+)")


@dataclass(frozen=True, order=True)
class Reach:
    """One place where an app depends on an app above it."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def module_owner(dotted: str) -> str | None:
    """The app a module belongs to (``crm.imports.models`` is crm's), None outside the apps."""
    top = dotted.split(".")[0]
    return top if top in RANK else None


def is_above(app: str, owner: str | None) -> bool:
    return owner is not None and RANK[owner] > RANK[app]


def named_template_owner(name: str) -> str | None:
    """Whose template a reference names, None for those every app may name."""
    if name == LAYOUT or name.startswith(CONVENTIONAL_TEMPLATE_DIR):
        return None
    return template_owner(name)


def template_owner(name: str) -> str | None:
    """The app a template name belongs to: ``pipeline/x.html`` pipeline's, and so on."""
    name = name.split("#")[0]
    folder, _, rest = name.partition("/")
    if not rest:
        return "crm" if name in PROJECT_TEMPLATES else "core"
    if folder in RANK:
        return folder
    if folder in PROJECT_TEMPLATE_DIRS:
        return "crm"
    return None


@dataclass
class Project:
    """Who owns each app label, URL name, tag library and reverse relation, read at run time."""

    labels: dict[str, str] = field(default_factory=dict)
    namespaces: dict[str, str | None] = field(default_factory=dict)
    url_names: dict[str, str | None] = field(default_factory=dict)
    tag_libraries: dict[str, str | None] = field(default_factory=dict)
    # (owner of the model, owner of the relation, name): e.g. (contacts, pipeline, "tasks").
    relations: set[tuple[str, str, str]] = field(default_factory=set)

    @classmethod
    def read(cls) -> Project:
        project = cls()
        for config in apps.get_app_configs():
            owner = module_owner(config.name)
            if owner is not None:
                project.labels[config.label] = owner
                project.labels[config.name] = owner
        project._read_urls(get_resolver().url_patterns, owner="crm")
        libraries = engines["django"].engine.libraries  # type: ignore[attr-defined]
        project.tag_libraries = {name: module_owner(path) for name, path in libraries.items()}
        project._read_relations()
        return project

    def _read_urls(self, patterns: Iterable, *, owner: str | None, namespace: str = "") -> None:
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                if pattern.name:
                    self.url_names[f"{namespace}{pattern.name}"] = owner
                continue
            assert isinstance(pattern, URLResolver)
            urlconf = pattern.urlconf_name
            if isinstance(urlconf, ModuleType | str):
                child = module_owner(getattr(urlconf, "__name__", urlconf))
            else:
                # A list of patterns (``admin.site.urls``, crm's own): its views say whose.
                child = next(
                    (
                        module_owner(item.callback.__module__)
                        for item in urlconf
                        if isinstance(item, URLPattern)
                    ),
                    owner,
                )
            if pattern.namespace:
                self.namespaces[pattern.namespace] = child
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            self._read_urls(pattern.url_patterns, owner=child, namespace=inner)

    def _read_relations(self) -> None:
        for model in apps.get_models(include_auto_created=True):
            model_owner = module_owner(model._meta.app_config.name)
            for relation in model._meta.get_fields(include_hidden=True):
                if relation.concrete or not relation.auto_created:
                    continue
                relation_owner = module_owner(relation.related_model._meta.app_config.name)
                if model_owner is None or relation_owner is None:
                    continue
                for name in (relation.get_accessor_name(), relation.field.related_query_name()):
                    if name and "+" not in name:
                        self.relations.add((model_owner, relation_owner, name))

    def reverse_names(self, app: str) -> frozenset[str]:
        """Relations apps above ``app`` declare onto its models or the models below it."""
        return frozenset(
            name
            for model_owner, relation_owner, name in self.relations
            if RANK[model_owner] <= RANK[app] < RANK[relation_owner]
        )

    def url_owner(self, name: str) -> str | None:
        namespace, colon, _ = name.partition(":")
        if colon:
            return self.namespaces.get(namespace)
        return self.url_names.get(name)


@dataclass
class Scanner:
    """Finds the reaches of one app in source text; ``path`` is only for the report."""

    app: str
    project: Project

    @cached_property
    def reverse_names(self) -> frozenset[str]:
        return self.project.reverse_names(self.app)

    # --- shared by Python and templates -----------------------------------------------------

    def _string_reach(self, text: str) -> str | None:
        """Why a string in Python code names something of a higher app, if it does."""
        if URL_NAME.match(text) and is_above(self.app, self.project.url_owner(text)):
            return f"names the URL {text!r} of {self.project.url_owner(text)}"
        if DOTTED.match(text):
            first = text.split(".")[0]
            owner = self.project.labels.get(first) or module_owner(text)
            if is_above(self.app, owner):
                return f"names {text!r} of {owner}"
        if TEMPLATE_NAME.match(text) and is_above(self.app, named_template_owner(text)):
            return f"names the template {text!r} of {named_template_owner(text)}"
        if text.split("__")[0] in self.reverse_names:
            return f"looks up {text!r}, a relation an app above {self.app} declares"
        return None

    # --- Python ---------------------------------------------------------------------------

    def python(self, path: str, source: str, module: str) -> list[Reach]:
        tree = ast.parse(source)
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        reaches = []
        for node in ast.walk(tree):
            for reason in self._python_node(node, module, docstrings):
                reaches.append(Reach(path, getattr(node, "lineno", 0), reason))
        return reaches

    def _imported(self, name: str) -> Iterator[str]:
        owner = module_owner(name)
        if is_above(self.app, owner):
            yield f"imports {name} ({owner})"

    def _python_node(self, node: ast.AST, module: str, docstrings: set[int]) -> Iterator[str]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from self._imported(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: -node.level]
                base = ".".join([*package, base] if base else package)
            yield from self._imported(base)
        elif isinstance(node, ast.Call):
            yield from self._python_call(node)
        elif isinstance(node, ast.Attribute):
            if self.app in NO_RELATION_WALKS and node.attr in RELATION_WALK_ATTRIBUTES:
                yield f"walks model relations ({node.attr})"
            if node.attr in self.reverse_names:
                yield f"follows .{node.attr}, a relation an app above {self.app} declares"
        elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
            label, name = (getattr(element, "value", None) for element in node.elts)
            if (
                isinstance(label, str)
                and isinstance(name, str)
                and MIGRATION_NAME.match(name)
                and is_above(self.app, self.project.labels.get(label))
            ):
                yield f"depends on the migration {label}.{name}"
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            reason = self._string_reach(node.value)
            if reason:
                yield reason

    def _python_call(self, node: ast.Call) -> Iterator[str]:
        function = node.func
        name = getattr(function, "attr", None) or getattr(function, "id", None)
        first = node.args[0] if node.args else None
        text = first.value if isinstance(first, ast.Constant) else None
        if isinstance(text, str):
            if name in IMPORT_CALLS:
                yield from self._imported(text)
            elif name in REGISTRY_LOOKUPS:
                label = text.split(".")[0]
                owner = self.project.labels.get(label) or self.project.labels.get(text)
                if is_above(self.app, owner):
                    yield f"looks up the app {label!r} ({owner}) in the app registry"
            elif name in URL_CALLS and ":" not in text:
                owner = self.project.url_names.get(text)
                if is_above(self.app, owner):
                    yield f"names the URL {text!r} of {owner}"
        if (
            self.app in NO_RELATION_WALKS
            and name == "get_fields"
            and not (
                isinstance(function, ast.Attribute)
                and isinstance(function.value, ast.Call)
                and getattr(function.value.func, "id", None) == "super"
            )
        ):
            yield "walks model relations (_meta.get_fields())"
        for keyword in node.keywords:
            if keyword.arg and keyword.arg.split("__")[0] in self.reverse_names:
                yield f"looks up {keyword.arg!r}, a relation an app above {self.app} declares"

    # --- templates ------------------------------------------------------------------------

    def template(self, path: str, source: str) -> list[Reach]:
        reaches = []

        def line(position: int) -> int:
            return source.count("\n", 0, position) + 1

        for match in TEMPLATE_TAG.finditer(source):
            tag, arguments = match.group(1), match.group(2)
            for reason in self._template_tag(tag, arguments):
                reaches.append(Reach(path, line(match.start()), reason))
        for match in TEMPLATE_CODE.finditer(source):
            code = match.group(1) or match.group(2) or ""
            code = QUOTED.sub("", code)
            for name in ATTRIBUTE.findall(code):
                if name in self.reverse_names:
                    reaches.append(
                        Reach(
                            path,
                            line(match.start()),
                            f"follows .{name}, a relation an app above {self.app} declares",
                        )
                    )
        return reaches

    def _template_tag(self, tag: str, arguments: str) -> Iterator[str]:
        first = arguments.split()[0] if arguments.split() else ""
        if tag == "url":
            literal = QUOTED.match(first)
            if literal:
                name = literal.group(2)
                owner = self.project.url_owner(name)
                if is_above(self.app, owner):
                    yield f"links to the URL {name!r} of {owner}"
        elif tag in ("include", "extends"):
            for literal in QUOTED.finditer(first):
                name = literal.group(2)
                owner = named_template_owner(name)
                if is_above(self.app, owner):
                    verb = "includes" if tag == "include" else "extends"
                    yield f"{verb} the template {name!r} of {owner}"
        else:
            words = arguments.split()
            libraries = words[words.index("from") + 1 :] if "from" in words else words
            for library in libraries:
                owner = self.project.tag_libraries.get(library)
                if is_above(self.app, owner):
                    yield f"loads the tag library {library!r} of {owner}"


def python_modules(app: str) -> Iterator[Path]:
    """Every module of ``app``, its migrations, commands and tag libraries included."""
    yield from sorted((ROOT / app).rglob("*.py"))


def templates_of(app: str) -> Iterator[Path]:
    """Every template ``app`` owns: in the project's folder and in the app's own."""
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file() and template_owner(str(path.relative_to(TEMPLATES))) == app:
            yield path
    yield from sorted(path for path in (ROOT / app / "templates").rglob("*") if path.is_file())


def reaches_of(app: str, project: Project) -> list[Reach]:
    """Every place ``app`` reaches an app above it, sorted by file and line."""
    scanner = Scanner(app, project)
    reaches = []
    for path in python_modules(app):
        relative = path.relative_to(ROOT)
        # A package's ``__init__`` keeps its name, so that ``from . import x`` resolves.
        module = ".".join(relative.with_suffix("").parts)
        reaches += scanner.python(str(relative), path.read_text(), module)
    for path in templates_of(app):
        reaches += scanner.template(str(path.relative_to(ROOT)), path.read_text())
    return sorted(reaches)
