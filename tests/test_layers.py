"""No app reaches an app above it: crm -> forecasting -> pipeline -> contacts -> accounts -> core.

The first test reads the whole project; the others feed the scanner (tests/layers.py) one
door at a time, to show that each is seen and that what is allowed passes.
"""

from dataclasses import replace
from pathlib import Path

import pytest

from tests.layers import LAYERS, TEMPLATES, Project, Reach, Scanner, reaches_of, template_owner


@pytest.fixture(scope="module")
def project() -> Project:
    return Project.read()


@pytest.mark.parametrize("app", [app for app in LAYERS if app != "crm"])
def test_app_reaches_no_app_above_it(app, project):
    reaches = reaches_of(app, project)

    assert not reaches, f"{app} reaches apps above it:\n" + "\n".join(map(str, reaches))


def test_every_template_belongs_to_an_app():
    folders = {path.name for path in TEMPLATES.iterdir() if path.is_dir()}

    assert {folder for folder in folders if template_owner(f"{folder}/x.html") is None} == set()


# --- the scanner, door by door ----------------------------------------------------------------

PYTHON_REACHES = {
    "import pipeline.models": "imports pipeline.models (pipeline)",
    "from pipeline.models import Opportunity": "imports pipeline.models (pipeline)",
    "from crm.imports import runner": "imports crm.imports (crm)",
    "def later():\n    from forecasting import metrics": "imports forecasting (forecasting)",
    "importlib.import_module('pipeline.board')": "imports pipeline.board (pipeline)",
    "apps.get_model('pipeline', 'Task')": "looks up the app 'pipeline' (pipeline) in the app",
    "apps.get_model('pipeline.Task')": "looks up the app 'pipeline' (pipeline) in the app",
    "Contact._meta.get_field('tasks').related_model": "walks model relations (related_model)",
    "fields = Contact._meta.get_fields()": "walks model relations (_meta.get_fields())",
    "lead.touchpoints.all()": "follows .touchpoints, a relation an app above",
    "Company.objects.filter(opportunities__status='open')": "looks up 'opportunities__status'",
    "Q(**{'opportunities__owner': 1})": "looks up 'opportunities__owner'",
    "reverse('pipeline:deal_detail', args=[1])": "names the URL 'pipeline:deal_detail'",
    "redirect('home')": "names the URL 'home' of crm",
    "ForeignKey('pipeline.Opportunity', on_delete=CASCADE)": "names 'pipeline.Opportunity'",
    "ForeignKey(to='imports.importjob', on_delete=CASCADE)": "names 'imports.importjob' of crm",
    "dependencies = [('pipeline', '0001_initial')]": "depends on the migration pipeline.0001",
    "TEMPLATE = 'pipeline/_quick_log.html'": "names the template 'pipeline/_quick_log.html'",
}

PYTHON_ALLOWED = [
    "from accounts.models import User\nfrom core.lists import SearchableListView",
    "from . import cadence\nfrom .models import Lead",
    "Lead._meta.get_field('email').max_length",
    "def get_fields(self, request):\n    return super().get_fields(request)",
    "redirect('contacts:lead_detail', pk=1)",
    "ForeignKey(settings.AUTH_USER_MODEL, on_delete=CASCADE)",
    "dependencies = [('accounts', '0002_territories_and_digest')]",
    '"""Moved by ``pipeline.services.merges``: see pipeline/_record_deals.html."""',
    "template_name = 'registration/login.html'",
    "label = 'open deals'\nkey = 'tasks_shown'",
]

TEMPLATE_REACHES = {
    "{% url 'pipeline:deal_detail' deal.pk %}": "links to the URL 'pipeline:deal_detail'",
    "{% url 'pipeline:'|add:subject|add:'_add_task' 1 %}": "links to the URL 'pipeline:'",
    '{% url "crm:settings" %}': "links to the URL 'crm:settings' of crm",
    "{% url 'home' %}": "links to the URL 'home' of crm",
    '{% include "pipeline/_quick_log.html" with prefix=p %}': "includes the template 'pipeline",
    '{% extends "forecasting/dashboard.html" %}': "extends the template 'forecasting",
    "{% load i18n deal_tags %}": "loads the tag library 'deal_tags' of pipeline",
    "{% load money from deal_tags %}": "loads the tag library 'deal_tags' of pipeline",
    "{{ company.opportunities.count }}": "follows .opportunities",
    "{% for task in lead.tasks.all %}{% endfor %}": "follows .tasks",
}

TEMPLATE_ALLOWED = [
    '{% extends "base.html" %}{% load i18n partials static %}',
    '{% extends list_layout|default:"base.html" %}',
    "{% include panel.template %}{% include entry.template with item=entry.item %}",
    '{% include "_field.html" with field=form.name %}{% include "contacts/_tabs.html" %}',
    "{% url 'contacts:contact_detail' contact.pk %}{% url 'login' %}",
    "{{ page.tasks_shown }} {% translate 'tasks' %} {{ lead.get_source_display }}",
]


@pytest.fixture(scope="module")
def contacts(project) -> Scanner:
    # A tag library of pipeline's, as an app above contacts might ship one.
    libraries = {**project.tag_libraries, "deal_tags": "pipeline"}
    return Scanner("contacts", replace(project, tag_libraries=libraries))


@pytest.mark.parametrize(("source", "reason"), PYTHON_REACHES.items())
def test_each_python_door_to_a_higher_app_is_seen(contacts, source, reason):
    reaches = contacts.python("contacts/x.py", source, "contacts.x")

    assert [reach.reason for reach in reaches if reach.reason.startswith(reason)], reaches


@pytest.mark.parametrize("source", PYTHON_ALLOWED)
def test_python_reaching_down_or_within_the_app_is_allowed(contacts, source):
    assert contacts.python("contacts/x.py", source, "contacts.views.x") == []


@pytest.mark.parametrize(("source", "reason"), TEMPLATE_REACHES.items())
def test_each_template_door_to_a_higher_app_is_seen(contacts, source, reason):
    reaches = contacts.template("templates/contacts/x.html", source)

    assert [reach.reason for reach in reaches if reach.reason.startswith(reason)], reaches


@pytest.mark.parametrize("source", TEMPLATE_ALLOWED)
def test_templates_reaching_down_or_through_extension_points_are_allowed(contacts, source):
    assert contacts.template("templates/contacts/x.html", source) == []


def test_relation_walks_are_allowed_above_contacts(project):
    pipeline = Scanner("pipeline", project)

    assert pipeline.python("pipeline/x.py", "Stage._meta.get_fields()", "pipeline.x") == []


def test_the_report_names_every_file_and_line(contacts):
    source = "{% load i18n %}\n{% url 'pipeline:board' 1 %}\n\n{% include 'pipeline/board.html' %}"

    reaches = contacts.template("templates/contacts/x.html", source)

    assert [(reach.path, reach.line) for reach in reaches] == [
        ("templates/contacts/x.html", 2),
        ("templates/contacts/x.html", 4),
    ]
    assert str(reaches[0]).startswith("templates/contacts/x.html:2: links to the URL")


def test_a_reach_in_a_file_of_the_app_is_reported(project, tmp_path, monkeypatch):
    # Given contacts with one more module, which imports pipeline inside a function.
    module = Path("contacts/_probe_reach.py")
    monkeypatch.setattr("tests.layers.ROOT", tmp_path)
    monkeypatch.setattr("tests.layers.TEMPLATES", tmp_path / "templates")
    (tmp_path / "contacts").mkdir()
    (tmp_path / "templates").mkdir()
    (tmp_path / module).write_text("def later():\n    import pipeline.board\n")

    assert reaches_of("contacts", project) == [
        Reach(str(module), 2, "imports pipeline.board (pipeline)")
    ]
