"""The "Delete selected" action of BulkActionsMixin: Django's own page and POST for what
a page can list, the toolkit's summary above, and the same safety at any depth on both.

The models (``tests.admin_ext.deletionapp``) cascade six levels deep: Region → Country →
City → District → Street → House, with Notes on houses (a generic relation) and Deeds
that protect houses. The sites are in ``tests.admin_ext.site_deletion``.
"""

from __future__ import annotations

import django
import pytest
from django.apps import apps

if not apps.is_installed("tests.admin_ext.deletionapp"):
    pytest.fail(
        "tests.admin_ext.deletionapp is not installed: run the tests with tests/settings.py "
        "(DJANGO_SETTINGS_MODULE = tests.settings in pyproject.toml).",
        pytrace=False,
    )
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import DELETION, LogEntry
from django.core import signing

from tests.admin_ext.action_helpers import (  # noqa: F401 (a fixture)
    client_for,
    immediate_tasks,
    messages_of,
    staff,
)
from tests.admin_ext.deletionapp.models import (
    City,
    Country,
    Deed,
    District,
    House,
    Node,
    Note,
    Region,
    Street,
    Villa,
)
from toolkit.admin_ext.actions import BulkActionsMixin
from toolkit.admin_ext.actions.cascade import (
    MAX_CASCADE_DEPTH,
    cascade_fits,
    cascade_models,
    deletion_summary,
)
from toolkit.admin_ext.selection import Selection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.admin_ext.site_deletion"),
    pytest.mark.usefixtures("immediate_tasks"),
]

URL = "/admin/deletionapp/region/"
CANNOT_FOR_PERMISSION = "have permission to delete the following types of objects"
CANNOT_FOR_PROTECTION = "would require deleting the following protected related objects"
DJANGOS_PAGE = "admin/delete_selected_confirmation.html"
SUMMARY_PAGE = "toolkit/admin_ext/actions/delete_confirmation.html"


def build(name, *, houses=1, deed=False):
    """A region six levels deep: its country, city, district, street, houses (each with
    a note); with ``deed``, a deed protecting the first house."""
    region = Region.objects.create(name=name)
    country = Country.objects.create(region=region, name=f"{name} country")
    city = City.objects.create(country=country, name=f"{name} city")
    district = District.objects.create(city=city, name=f"{name} district")
    street = Street.objects.create(district=district, name=f"{name} street")
    for number in range(houses):
        house = House.objects.create(street=street, name=f"{name} house {number}")
        Note.objects.create(target=house, text=f"note on {house.name}")
    if deed:
        Deed.objects.create(house=House.objects.filter(street=street).first(), number=f"{name}-1")
    return region


def ask(client, regions, url=URL, **extra):
    """The changelist's "Run" of "Delete selected" on ``regions``."""
    return client.post(
        url,
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [r.pk for r in regions],
            "index": "0",
            **extra,
        },
    )


def templates_of(response):
    return [t.name for t in response.templates]


def form_fields(response):
    """The hidden fields of a confirmation page's form (what its "Yes" posts)."""
    import re

    html = response.content.decode()
    found: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        found.setdefault(name, []).append(value)
    found.pop("csrfmiddlewaretoken", None)
    return found


def signed_confirmation(user, regions):
    """The POST of a summary page's "Yes" for ``regions``, signed as the page would
    sign it (a page shown before things changed, or forged with the key)."""
    from tests.admin_ext.site_deletion import site

    selection = Selection.for_objects(site.get_model_admin(Region), list(regions))
    token = signing.dumps(
        {"s": selection.to_dict(), "u": str(user.pk), "a": "delete_selected"},
        salt="toolkit.admin_ext.actions.selection",
        compress=True,
    )
    return {
        "action": "delete_selected",
        "select_across": "1",
        ACTION_CHECKBOX_NAME: str(regions[0].pk),
        "_selection": token,
        "post": "yes",
    }


def djangos_confirmation(regions):
    """The POST of Django's page's "Yes" for ``regions``."""
    return {
        "action": "delete_selected",
        ACTION_CHECKBOX_NAME: [r.pk for r in regions],
        "post": "yes",
    }


@pytest.fixture(params=["djangos_page", "summary"])
def page_kind(request, monkeypatch):
    """Run the test on Django's page and, with ``delete_list_max_objects = 0``, on the
    toolkit's summary: both must be as safe."""
    if request.param == "summary":
        monkeypatch.setattr(BulkActionsMixin, "delete_list_max_objects", 0)
    return request.param


def confirmation_for(page_kind, user, regions):
    if page_kind == "summary":
        return signed_confirmation(user, regions)
    return djangos_confirmation(regions)


def nothing_deleted(houses=1):
    return (
        Region.objects.exists()
        and House.objects.count() == houses
        and not LogEntry.objects.filter(action_flag=DELETION).exists()
    )


# -- Django's page and POST -------------------------------------------------------------


def test_a_small_selection_is_confirmed_on_djangos_page_listing_all_six_levels(superuser):
    region = build("North")
    response = ask(client_for(superuser), [region])
    assert DJANGOS_PAGE in templates_of(response)
    html = response.content.decode()
    assert "Are you sure you want to delete the selected region?" in html
    for name in ("North country", "North city", "North district", "North street"):
        assert name in html
    house = House.objects.get()
    assert f'House: <a href="/admin/deletionapp/house/{house.pk}/change/">North house 0</a>' in html
    assert "note on North house 0" in html
    assert form_fields(response) == {
        ACTION_CHECKBOX_NAME: [str(region.pk)],
        "action": ["delete_selected"],
        "post": ["yes"],
    }
    assert nothing_deleted()


def test_djangos_post_yes_deletes_through_delete_queryset_and_logs_each_row(superuser):
    from tests.admin_ext.site_deletion import RegionAdmin

    RegionAdmin.deleted_through_hook.clear()
    regions = [build("North"), build("South")]
    response = client_for(superuser).post(URL, djangos_confirmation(regions), follow=True)
    assert "Successfully deleted 2 regions." in messages_of(response)
    assert RegionAdmin.deleted_through_hook == [sorted(r.pk for r in regions)]
    assert not Region.objects.exists() and not House.objects.exists()
    assert not Note.objects.exists()
    logged = LogEntry.objects.filter(action_flag=DELETION).values_list("object_id", flat=True)
    assert sorted(logged) == sorted(str(r.pk) for r in regions)


def test_the_page_djangos_post_comes_from_confirms_it(superuser):
    region = build("North")
    client = client_for(superuser)
    page = ask(client, [region])
    response = client.post(URL, form_fields(page), follow=True)
    assert "Successfully deleted 1 region." in messages_of(response)
    assert not Region.objects.exists()


def test_what_fits_in_delete_list_max_objects_gets_djangos_page(superuser, monkeypatch):
    from tests.admin_ext.site_deletion import RegionAdmin

    region = build("North")  # 7 rows: region, country, city, district, street, house, note
    client = client_for(superuser)
    monkeypatch.setattr(RegionAdmin, "delete_list_max_objects", 7)
    assert DJANGOS_PAGE in templates_of(ask(client, [region]))
    monkeypatch.setattr(RegionAdmin, "delete_list_max_objects", 6)
    assert SUMMARY_PAGE in templates_of(ask(client, [region]))


def test_delete_selected_confirmation_template_and_per_model_templates_are_used(superuser):
    client = client_for(superuser)
    response = ask(client, [build("North")], url="/custom/deletionapp/region/")
    assert "deletionapp/custom_delete_selected.html" in templates_of(response)
    assert "Custom confirmation of region" in response.content.decode()
    node = Node.objects.create(name="root")
    response = client.post(
        "/admin/deletionapp/node/",
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [node.pk], "index": "0"},
    )
    assert "admin/deletionapp/node/delete_selected_confirmation.html" in templates_of(response)
    assert "Nodes have their own confirmation." in response.content.decode()


@pytest.mark.skipif(
    django.VERSION < (6, 1), reason="delete_confirmation_max_display is new in Django 6.1"
)
def test_delete_confirmation_max_display_shortens_djangos_list(superuser):
    response = ask(client_for(superuser), [build("North")], url="/custom/deletionapp/region/")
    html = response.content.decode()
    # Seven objects, two shown: the region and its country.
    assert "North country" in html and "North city" not in html
    assert "…and 5 more objects." in html


# -- the same safety on both pages ------------------------------------------------------


def test_a_missing_delete_permission_six_levels_down_refuses_the_deletion(
    page_kind, django_user_model
):
    region = build("North")
    codenames = [
        f"{permission}_{model}"
        for model in ("region", "country", "city", "district", "street", "note")
        for permission in ("view", "delete")
    ]
    # May see houses, not delete them: the sixth level.
    deleter = staff(django_user_model, "deleter", *codenames, "view_house")
    client = client_for(deleter)
    page = ask(client, [region])
    assert page.status_code == 200 and DJANGOS_PAGE in templates_of(page)
    html = page.content.decode()
    assert CANNOT_FOR_PERMISSION in html
    assert "<li>house</li>" in html
    assert 'name="post"' not in html
    # Confirming anyway (an old page, a forged POST) is refused as Django refuses it.
    assert client.post(URL, confirmation_for(page_kind, deleter, [region])).status_code == 403
    assert nothing_deleted()


def test_a_protect_six_levels_down_shows_djangos_cannot_delete_page(page_kind, superuser):
    region = build("North", deed=True)
    client = client_for(superuser)
    page = ask(client, [region])
    assert page.status_code == 200 and DJANGOS_PAGE in templates_of(page)
    deed = Deed.objects.get()
    link = f'Deed: <a href="/admin/deletionapp/deed/{deed.pk}/change/">Deed North-1</a>'
    assert CANNOT_FOR_PROTECTION in page.content.decode() and link in page.content.decode()
    assert 'name="post"' not in page.content.decode()
    confirmed = client.post(URL, confirmation_for(page_kind, superuser, [region]))
    assert confirmed.status_code == 200
    assert CANNOT_FOR_PROTECTION in confirmed.content.decode()
    assert nothing_deleted()


def test_a_row_protected_after_the_page_was_shown_stops_the_whole_deletion(page_kind, superuser):
    regions = [build("North"), build("South")]
    client = client_for(superuser)
    page = ask(client, regions)
    assert page.status_code == 200 and 'name="post"' in page.content.decode()
    Deed.objects.create(house=House.objects.get(name="South house 0"), number="late")
    response = client.post(URL, form_fields(page))
    assert response.status_code == 200
    assert CANNOT_FOR_PROTECTION in response.content.decode()
    assert "Deed late" in response.content.decode()
    assert Region.objects.count() == 2 and House.objects.count() == 2
    assert not LogEntry.objects.exists()


def test_protection_get_deleted_objects_did_not_report_rolls_everything_back(superuser):
    region = build("North", deed=True)
    response = client_for(superuser).post(
        "/unreported/deletionapp/region/", djangos_confirmation([region])
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert CANNOT_FOR_PROTECTION in html and "Deed North-1" in html
    assert nothing_deleted()


def test_a_get_deleted_objects_override_that_refuses_is_honoured(superuser):
    url = "/guarded/deletionapp/region/"
    kept = build("Keep me")
    client = client_for(superuser)
    page = ask(client, [kept], url=url)
    assert CANNOT_FOR_PERMISSION in page.content.decode()
    assert "<li>kept region</li>" in page.content.decode()
    assert client.post(url, djangos_confirmation([kept])).status_code == 403
    assert nothing_deleted()


def test_on_the_summary_the_override_is_asked_before_each_deletion(superuser, monkeypatch):
    monkeypatch.setattr(BulkActionsMixin, "delete_list_max_objects", 0)
    url = "/guarded/deletionapp/region/"
    kept, gone = build("Keep me"), build("Gone")
    client = client_for(superuser)
    page = ask(client, [kept, gone], url=url)
    assert SUMMARY_PAGE in templates_of(page)
    response = client.post(url, form_fields(page), follow=True)
    assert "Successfully deleted 1 region." in messages_of(response)
    assert "1 rows were left: you may not delete them." in messages_of(response)
    assert list(Region.objects.values_list("name", flat=True)) == ["Keep me"]


# -- the summary ------------------------------------------------------------------------


def test_a_selection_past_the_limit_is_summed_up_at_every_level(superuser, monkeypatch):
    from tests.admin_ext.site_deletion import RegionAdmin

    monkeypatch.setattr(RegionAdmin, "delete_list_max_objects", 5)
    region = build("North", houses=3)
    client = client_for(superuser)
    page = ask(client, [region])
    assert SUMMARY_PAGE in templates_of(page)
    html = page.content.decode()
    for name, count in [("Region", 1), ("Street", 1), ("Houses", 3), ("Notes", 3)]:
        assert f"<td>{name}</td><td data-toolkit-count>{count}</td>" in html
    response = client.post(URL, form_fields(page), follow=True)
    assert "Successfully deleted 1 region." in messages_of(response)
    assert not House.objects.exists() and not Note.objects.exists()
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 1


def test_a_summary_confirmation_refuses_a_house_the_person_may_not_delete(
    superuser, django_user_model, monkeypatch
):
    monkeypatch.setattr(BulkActionsMixin, "delete_list_max_objects", 0)
    region = build("North")
    client = client_for(superuser)
    page = ask(client, [region])
    assert SUMMARY_PAGE in templates_of(page)
    # The page was fine when shown; the deleter's rights are checked again on "Yes".
    codenames = [
        f"{permission}_{model}"
        for model in ("region", "country", "city", "district", "street", "note")
        for permission in ("view", "delete")
    ]
    deleter = staff(django_user_model, "deleter", *codenames)
    assert client_for(deleter).post(URL, signed_confirmation(deleter, [region])).status_code == 403
    assert nothing_deleted()


def test_a_multi_table_child_takes_its_parent_row_and_what_protects_it(superuser, monkeypatch):
    monkeypatch.setattr(BulkActionsMixin, "delete_list_max_objects", 0)
    region = build("North")
    villa = Villa.objects.create(street=Street.objects.get(), name="Villa Rosa")
    summary = deletion_summary(Villa.objects.all())
    assert dict(summary.deleted) == {Villa: 1, House: 1}
    Deed.objects.create(house_id=villa.pk, number="V-1")
    page = client_for(superuser).post(
        "/admin/deletionapp/villa/",
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [villa.pk], "index": "0"},
    )
    assert CANNOT_FOR_PROTECTION in page.content.decode() and "Deed V-1" in page.content.decode()
    assert Villa.objects.exists() and House.objects.count() == 2
    assert Region.objects.filter(pk=region.pk).exists()


def test_rows_pointing_back_at_the_selection_end_the_walk():
    first = Node.objects.create(name="first")
    second = Node.objects.create(name="second", parent=first)
    Node.objects.create(name="third", parent=first)
    first.parent = second
    first.save()
    summary = deletion_summary(Node.objects.filter(pk=first.pk))
    assert summary.complete
    assert dict(summary.deleted) == {Node: 3}
    assert cascade_fits(Node.objects.filter(pk=first.pk), 3)
    assert not cascade_fits(Node.objects.filter(pk=first.pk), 2)


def test_a_cascade_deeper_than_the_walk_is_refused_on_the_summary_not_on_djangos_page(
    superuser, monkeypatch
):
    from tests.admin_ext.site_deletion import DeletingAdmin

    root = parent = Node.objects.create(name="root")
    for level in range(MAX_CASCADE_DEPTH + 2):
        parent = Node.objects.create(name=f"level {level}", parent=parent)
    assert not deletion_summary(Node.objects.filter(pk=root.pk)).complete
    url = "/admin/deletionapp/node/"
    client = client_for(superuser)
    monkeypatch.setattr(DeletingAdmin, "delete_list_max_objects", 0)
    response = client.post(
        url,
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [root.pk], "index": "0"},
        follow=True,
    )
    assert any("levels deep" in m for m in messages_of(response))
    assert Node.objects.count() == MAX_CASCADE_DEPTH + 3
    monkeypatch.setattr(DeletingAdmin, "delete_list_max_objects", 100)
    response = client.post(
        url,
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [root.pk], "post": "yes"},
        follow=True,
    )
    assert "Successfully deleted 1 node." in messages_of(response)
    assert not Node.objects.exists()


def test_cascade_models_follow_cascades_parents_and_generic_relations():
    assert cascade_models(Region) == {Region, Country, City, District, Street, House, Villa, Note}
    assert cascade_models(Villa) >= {Villa, House, Note}
    assert Deed not in cascade_models(Region)


def test_a_job_meeting_a_row_protected_since_the_confirmation_stops_with_a_sentence(
    superuser, monkeypatch, django_capture_on_commit_callbacks
):
    from tests.admin_ext.site_deletion import RegionAdmin
    from toolkit.jobs.models import Job, JobStatus

    monkeypatch.setattr(RegionAdmin, "bulk_background_threshold", 1)
    regions = [build("North"), build("South")]
    client = client_for(superuser)
    page = ask(client, regions)
    assert SUMMARY_PAGE in templates_of(page)
    with django_capture_on_commit_callbacks() as enqueued:
        response = client.post(URL, form_fields(page))
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    Deed.objects.create(house=House.objects.get(name="South house 0"), number="late")
    for run in enqueued:
        run()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "now protected by related deeds" in job.error
    assert Region.objects.count() == 2 and House.objects.count() == 2
