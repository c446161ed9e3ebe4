"""Row actions (a button per changelist row) and change-form actions (Django 6.1's action
locations, rendered by the toolkit on Django 5.2): POST-only, CSRF-protected, checked
per object, logged.

The site under test is ``tests.admin_ext.site_actions``: its ProductAdmin offers
"Duplicate", the "Is active" toggle and a custom "Discontinue" on every row; the
``/objperm/`` site's ProductAdmin refuses to change or delete discontinued products.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry

from demo.catalog.models import Product
from tests.admin_ext.action_helpers import client_for, messages_of, staff
from toolkit.admin_ext.actions.offered import ActionLocation

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.admin_ext.site_actions")]

URL = "/admin/catalog/product/"
OBJPERM = "/objperm/catalog/product/"
#: Django 6.1 renders change-form actions itself; 5.2 gets the toolkit's buttons.
NATIVE_CHANGE_FORM_ACTIONS = ActionLocation is not None


def row_buttons(html):
    """(formaction, action name, label) of every row button."""
    return [
        (unescape(url), name, label)
        for url, name, label in re.findall(
            r'<button type="submit" class="button toolkit-row-action" formaction="([^"]+)" '
            r'formmethod="post" formnovalidate name="_row_action" value="([^"]+)">([^<]+)</button>',
            html,
        )
    ]


def row_url(obj, action, base=URL):
    return f"{base}{obj.pk}/row-action/{action}/"


def active_product():
    return Product.objects.filter(is_active=True, status="active").order_by("pk").first()


# -- the buttons -------------------------------------------------------------------------


def test_each_row_gets_its_buttons_inside_the_changelist_form(catalog, superuser):
    response = client_for(superuser).get(f"{URL}?status__exact=active")
    html = response.content.decode()
    buttons = row_buttons(html)
    shown = Product.objects.filter(status="active").count()
    assert len(buttons) == 3 * min(shown, 100)
    # Formaction buttons of the changelist form: its CSRF token goes with them, and no
    # <form> is nested in it.
    form = html[
        html.index('<form id="changelist-form"') : html.index(
            "</form>", html.index('id="changelist-form"')
        )
    ]
    assert "toolkit-row-action" in form and "<form" not in form[1:]
    obj = active_product()
    mine = [b for b in buttons if f"/{obj.pk}/row-action/" in b[0]]
    assert [(name, label) for _, name, label in mine] == [
        ("duplicate_selected", "Duplicate"),
        ("toggle_is_active_off", "Clear “is active”"),
        ("discontinue", "Discontinue"),
    ]
    # The list's query string comes along, to come back to the same list.
    assert (
        mine[0][0]
        == f"{row_url(obj, 'duplicate_selected')}?_changelist_filters=status__exact%3Dactive"
    )
    assert "toolkit/admin_ext/row_actions.css" in html
    assert 'class="column-row_actions"' in html


def test_several_buttons_sit_in_one_menu_per_row_with_an_accessible_name(catalog, superuser):
    html = client_for(superuser).get(URL).content.decode()
    menus = re.findall(
        r'<details class="toolkit-row-actions"><summary class="toolkit-row-actions-toggle" '
        r'title="Actions"><span aria-hidden="true">⋯</span>'
        r'<span class="visually-hidden">Actions</span></summary>'
        r'<span class="toolkit-row-actions-menu">(.*?)</span></details>',
        html,
    )
    assert len(menus) == Product.objects.count()
    assert all(len(row_buttons(menu)) == 3 for menu in menus)


def test_a_row_with_one_action_shows_the_button_itself(catalog, superuser, monkeypatch):
    from tests.admin_ext.site_actions import ProductAdmin

    monkeypatch.setattr(ProductAdmin, "row_actions", ["duplicate_selected"])
    html = client_for(superuser).get(URL).content.decode()
    assert "toolkit-row-actions-menu" not in html
    assert len(row_buttons(html)) == Product.objects.count()


def test_the_toggle_button_follows_the_rows_value(catalog, superuser):
    obj = active_product()
    Product.objects.filter(pk=obj.pk).update(is_active=False)
    html = client_for(superuser).get(URL).content.decode()
    names = [name for url, name, _ in row_buttons(html) if f"/{obj.pk}/row-action/" in url]
    assert "toggle_is_active_on" in names and "toggle_is_active_off" not in names


def test_exports_and_popups_leave_the_buttons_out(catalog, superuser, rf):
    from django.contrib import admin

    from tests.admin_ext.site_actions import site
    from toolkit.admin_ext.importexport import ListDisplayResource

    model_admin = site.get_model_admin(Product)
    request = rf.get(URL)
    request.user = superuser
    assert getattr(model_admin.get_list_display(request)[-1], "toolkit_row_actions", False)
    resource = ListDisplayResource.for_changelist(model_admin, request)
    assert [f.column_name for f in resource.get_user_visible_fields()] == [
        "SKU", "Name", "Price", "Stock", "Status", "Is active",
    ]  # fmt: skip
    popup = rf.get(URL, {admin.options.IS_POPUP_VAR: "1"})
    popup.user = superuser
    assert list(model_admin.get_list_display(popup)) == list(model_admin.list_display)


def test_with_list_editable_the_rows_link_to_a_confirmation_page(catalog, superuser, monkeypatch):
    from tests.admin_ext.site_actions import ProductAdmin

    monkeypatch.setattr(ProductAdmin, "list_editable", ["stock"])
    html = client_for(superuser).get(URL).content.decode()
    # Enter in an editable cell must not submit some row's button.
    assert row_buttons(html) == []
    obj = Product.objects.order_by("-pk").first()  # the 60 products fit on one page
    assert f'href="{row_url(obj, "duplicate_selected")}"' in html


# -- running one ---------------------------------------------------------------------------


def test_a_row_duplicate_runs_on_post_logs_and_returns_to_the_same_list(catalog, superuser):
    obj = active_product()
    response = client_for(superuser).post(
        f"{row_url(obj, 'duplicate_selected')}?_changelist_filters=status__exact%3Dactive",
        follow=True,
    )
    assert response.redirect_chain[0][0] == f"{URL}?status__exact=active"
    copy = Product.objects.get(sku=f"{obj.sku}-copy")
    assert [m.split(" <a ")[0] for m in messages_of(response)] == ["1 product duplicated."]
    entry = LogEntry.objects.get(user=superuser)
    assert (entry.action_flag, entry.object_id) == (ADDITION, str(copy.pk))


def test_the_duplicated_message_links_to_the_copy_with_its_name_escaped(catalog, superuser):
    obj = active_product()
    Product.objects.filter(pk=obj.pk).update(name="<b>Lamp</b>")
    response = client_for(superuser).post(row_url(obj, "duplicate_selected"), follow=True)
    copy = Product.objects.get(sku=f"{obj.sku}-copy")
    html = response.content.decode()
    name = f"&lt;b&gt;Lamp&lt;/b&gt; ({copy.sku})"
    link = f'<a href="{URL}{copy.pk}/change/">Open the copy “{name}”</a>'
    assert f"1 product duplicated. {link}" in html
    assert "<b>Lamp</b>" not in html


def test_several_copies_link_to_the_list_filtered_to_them(catalog, superuser):
    originals = list(Product.objects.order_by("pk")[:3])
    client = client_for(superuser)
    response = client.post(
        URL,
        {"action": "duplicate_selected", "_selected_action": [p.pk for p in originals]},
        follow=True,
    )
    copies = Product.objects.filter(sku__endswith="-copy").order_by("pk")
    keys = "%2C".join(str(copy.pk) for copy in copies)
    assert f'3 products duplicated. <a href="{URL}?id__in={keys}">Show the copies</a>' in (
        response.content.decode()
    )
    listed = client.get(f"{URL}?id__in={keys.replace('%2C', ',')}")
    assert sorted(p.pk for p in listed.context["cl"].result_list) == [c.pk for c in copies]


def test_a_get_changes_nothing_and_asks_for_confirmation(catalog, superuser):
    obj = active_product()
    client = client_for(superuser)
    before = Product.objects.count()
    page = client.get(row_url(obj, "duplicate_selected"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Run “Duplicate” on the product" in html
    assert re.search(
        r'<form method="post"[^>]*>\s*<input type="hidden" name="csrfmiddlewaretoken"', html
    )
    assert Product.objects.count() == before and not LogEntry.objects.exists()
    assert client.put(row_url(obj, "duplicate_selected")).status_code == 405
    assert client.delete(row_url(obj, "duplicate_selected")).status_code == 405
    assert Product.objects.count() == before
    # The confirmation's own POST runs it.
    client.post(row_url(obj, "duplicate_selected"))
    assert Product.objects.count() == before + 1


def test_a_row_toggle_flips_the_row_and_a_stale_button_changes_nothing(catalog, superuser):
    obj = active_product()
    client = client_for(superuser)
    response = client.post(row_url(obj, "toggle_is_active_off"), follow=True)
    assert "1 product updated." in messages_of(response)
    obj.refresh_from_db()
    assert obj.is_active is False
    assert LogEntry.objects.get(action_flag=CHANGE).get_change_message() == "Changed is active."
    # The same button again (a second tab, a double click): the row now offers "Set".
    response = client.post(row_url(obj, "toggle_is_active_off"), follow=True)
    assert any("may not run “toggle_is_active_off”" in m for m in messages_of(response))
    assert LogEntry.objects.count() == 1


def test_a_custom_row_action_that_logs_nothing_still_leaves_a_log_entry(catalog, superuser):
    obj = active_product()
    response = client_for(superuser).post(row_url(obj, "discontinue"), follow=True)
    obj.refresh_from_db()
    assert obj.status == "discontinued"
    assert f"“{obj}”: Discontinue done." in messages_of(response)
    entry = LogEntry.objects.get(user=superuser)
    assert (entry.action_flag, entry.object_id) == (CHANGE, str(obj.pk))
    assert entry.get_change_message() == "Ran “Discontinue”."


def test_a_refused_action_is_not_logged_as_run(catalog, superuser, monkeypatch):
    from tests.admin_ext.site_actions import ProductAdmin

    # No free unique value: the duplicate warns and copies nothing, so nothing ran.
    monkeypatch.setattr(ProductAdmin, "free_unique_value", lambda *args: None)
    obj = active_product()
    before = Product.objects.count()
    response = client_for(superuser).post(row_url(obj, "duplicate_selected"), follow=True)
    assert any("could not be duplicated" in m for m in messages_of(response))
    assert Product.objects.count() == before
    assert not LogEntry.objects.exists()


# -- hostile requests ----------------------------------------------------------------------


def test_csrf_is_enforced(catalog, superuser):
    obj = active_product()
    client = client_for(superuser, enforce_csrf_checks=True)
    response = client.post(row_url(obj, "toggle_is_active_off"))
    assert response.status_code == 403
    obj.refresh_from_db()
    assert obj.is_active is True and not LogEntry.objects.exists()


def test_staff_without_the_permission_neither_sees_nor_can_post_it(
    catalog, viewer, django_user_model
):
    obj = active_product()
    client = client_for(viewer)
    html = client.get(URL).content.decode()
    assert row_buttons(html) == [] and "column-row_actions" not in html
    response = client.post(row_url(obj, "toggle_is_active_off"), follow=True)
    assert any("may not run" in m for m in messages_of(response))
    response = client.post(row_url(obj, "duplicate_selected"), follow=True)
    obj.refresh_from_db()
    assert obj.is_active is True
    assert not Product.objects.filter(sku__endswith="-copy").exists()
    assert not LogEntry.objects.exists()
    # Change but not add: the toggle, not the duplicate.
    changer = staff(django_user_model, "changer", "view_product", "change_product")
    names = {name for _, name, _ in row_buttons(client_for(changer).get(URL).content.decode())}
    assert names == {"toggle_is_active_off", "toggle_is_active_on", "discontinue"}
    client_for(changer).post(row_url(obj, "duplicate_selected"))
    assert not Product.objects.filter(sku__endswith="-copy").exists()


def test_non_staff_is_sent_to_the_login_page(catalog, customer):
    obj = active_product()
    response = client_for(customer).post(row_url(obj, "toggle_is_active_off"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    obj.refresh_from_db()
    assert obj.is_active is True


def test_per_object_permissions_decide_each_row(catalog, superuser):
    Product.objects.update(is_active=True)
    discontinued = Product.objects.filter(status="discontinued").order_by("pk").first()
    other = Product.objects.exclude(status="discontinued").order_by("pk").first()
    client = client_for(superuser)
    buttons = row_buttons(client.get(OBJPERM).content.decode())
    names = {url.split("/")[-4]: name for url, name, _ in buttons if "toggle" in name}
    assert str(discontinued.pk) not in names  # may not be changed: no toggle
    assert names[str(other.pk)] == "toggle_is_active_off"
    response = client.post(row_url(discontinued, "toggle_is_active_off", OBJPERM), follow=True)
    assert any("may not run" in m for m in messages_of(response))
    discontinued.refresh_from_db()
    assert discontinued.is_active is True
    client.post(row_url(other, "toggle_is_active_off", OBJPERM))
    other.refresh_from_db()
    assert other.is_active is False


def test_an_unknown_row_or_action_says_so(catalog, superuser):
    client = client_for(superuser)
    response = client.post(f"{URL}999999/row-action/duplicate_selected/", follow=True)
    assert any("no longer exists" in m for m in messages_of(response))
    obj = active_product()
    response = client.post(row_url(obj, "delete_selected"), follow=True)  # not a row action
    assert any("may not run “delete_selected”" in m for m in messages_of(response))
    response = client.post(row_url(obj, "<script>alert(1)<"), follow=True)
    assert "You may not run “&lt;script&gt;alert(1)&lt;”" in response.content.decode()
    assert b"<script>alert(1)" not in response.content


# -- change-form actions (both Django versions) -------------------------------------------


def change_url(obj, base=URL):
    return f"{base}{obj.pk}/change/"


def offered_on_change_form(client, obj, base=URL):
    """Names of the actions the change form offers, however this Django renders them."""
    html = client.get(change_url(obj, base)).content.decode()
    if NATIVE_CHANGE_FORM_ACTIONS:
        select = re.search(r'<select name="CHANGE_FORM-action".*?</select>', html, re.S)
        return set(re.findall(r'<option value="([^"]+)"', select.group(0))) if select else set()
    return set(re.findall(r'name="_object_action" value="([^"]+)"', html))


def run_on_change_form(client, obj, name, base=URL):
    if NATIVE_CHANGE_FORM_ACTIONS:
        return client.post(
            change_url(obj, base),
            {"CHANGE_FORM-action": name, "_selected_action": str(obj.pk)},
            follow=True,
        )
    return client.post(f"{base}{obj.pk}/change/action/{name}/", follow=True)


def test_the_change_form_offers_duplicate_and_toggles_and_runs_them(catalog, superuser):
    obj = active_product()
    client = client_for(superuser)
    assert offered_on_change_form(client, obj) == {
        "duplicate_selected", "toggle_is_active_on", "toggle_is_active_off",
    }  # fmt: skip
    response = run_on_change_form(client, obj, "duplicate_selected")
    assert response.redirect_chain[-1][0].startswith(change_url(obj))
    copy = Product.objects.get(sku=f"{obj.sku}-copy")
    assert LogEntry.objects.filter(action_flag=ADDITION, object_id=str(copy.pk)).exists()
    run_on_change_form(client, obj, "toggle_is_active_off")
    obj.refresh_from_db()
    assert obj.is_active is False
    assert LogEntry.objects.filter(action_flag=CHANGE, object_id=str(obj.pk)).exists()


@pytest.mark.skipif(NATIVE_CHANGE_FORM_ACTIONS, reason="Django 6.1 renders its own")
def test_on_django_52_the_buttons_sit_in_the_object_tools_outside_the_change_form(
    catalog, superuser
):
    obj = active_product()
    html = client_for(superuser).get(change_url(obj)).content.decode()
    tools = html[
        html.index('<ul class="object-tools">') : html.index(
            "</ul>", html.index('<ul class="object-tools">')
        )
    ]
    assert f'action="{URL}{obj.pk}/change/action/duplicate_selected/"' in tools
    assert tools.count("csrfmiddlewaretoken") == 3
    assert html.index("</ul>", html.index("object-tools")) < html.index('id="product_form"')
    # A GET of the action's URL runs nothing.
    client_for(superuser).get(f"{URL}{obj.pk}/change/action/duplicate_selected/")
    assert not Product.objects.filter(sku=f"{obj.sku}-copy").exists()


def test_change_form_actions_check_the_object(catalog, superuser):
    discontinued = Product.objects.filter(status="discontinued").order_by("pk").first()
    Product.objects.filter(pk=discontinued.pk).update(is_active=True)
    other = Product.objects.exclude(status="discontinued").order_by("pk").first()
    client = client_for(superuser)
    assert offered_on_change_form(client, discontinued, OBJPERM) == {"duplicate_selected"}
    assert offered_on_change_form(client, other, OBJPERM) == {
        "duplicate_selected", "toggle_is_active_on", "toggle_is_active_off",
    }  # fmt: skip
    response = run_on_change_form(client, discontinued, "toggle_is_active_off", OBJPERM)
    messages = messages_of(response)
    assert any("may not run" in m or "No action selected" in m for m in messages), messages
    discontinued.refresh_from_db()
    assert discontinued.is_active is True
    assert not LogEntry.objects.filter(action_flag=CHANGE).exists()


def test_change_form_actions_need_the_model_permission(catalog, viewer):
    obj = active_product()
    client = client_for(viewer)
    assert offered_on_change_form(client, obj) == set()
    run_on_change_form(client, obj, "duplicate_selected")
    assert not Product.objects.filter(sku=f"{obj.sku}-copy").exists()
    assert not LogEntry.objects.exists()


def test_change_form_actions_enforce_csrf(catalog, superuser):
    obj = active_product()
    client = client_for(superuser, enforce_csrf_checks=True)
    if NATIVE_CHANGE_FORM_ACTIONS:
        response = client.post(
            change_url(obj),
            {"CHANGE_FORM-action": "duplicate_selected", "_selected_action": obj.pk},
        )
    else:
        response = client.post(f"{URL}{obj.pk}/change/action/duplicate_selected/")
    assert response.status_code == 403
    assert not Product.objects.filter(sku=f"{obj.sku}-copy").exists()


# -- system checks -------------------------------------------------------------------------


def check_ids(**options):
    from django.contrib import admin

    from toolkit.admin_ext.actions import BulkActionsMixin

    admin_class = type("CheckedAdmin", (BulkActionsMixin, admin.ModelAdmin), options)
    return {e.id for e in admin_class(Product, admin.AdminSite(name="checks")).check()}


@pytest.mark.parametrize(
    "row_actions",
    [["nope"], ["mass_update"], ["toggle_status"], "duplicate_selected", [None]],
)
def test_a_row_action_that_names_nothing_is_reported(row_actions):
    options = {"actions": ["duplicate_selected"], "toggle_fields": ["is_active"]}
    assert "toolkit.E064" in check_ids(row_actions=row_actions, **options)


def test_row_actions_naming_actions_toggles_and_methods_pass_the_checks():
    from tests.admin_ext.site_actions import ProductAdmin

    assert "toolkit.E064" not in check_ids(
        actions=["duplicate_selected"],
        toggle_fields=["is_active"],
        row_actions=["duplicate_selected", "toggle_is_active", "toggle_is_active_on",
                     "delete_selected", "discontinue"],
        discontinue=ProductAdmin.discontinue,
    )  # fmt: skip


def test_a_row_action_with_a_confirmation_page_confirms_on_the_same_url(
    catalog, superuser, monkeypatch
):
    from tests.admin_ext.site_actions import ProductAdmin

    monkeypatch.setattr(ProductAdmin, "row_actions", ["delete_selected"])
    obj = active_product()
    client = client_for(superuser)
    url = f"{row_url(obj, 'delete_selected')}?_changelist_filters=status__exact%3Dactive"
    page = client.post(url)
    html = page.content.decode()
    # Django's own confirmation, which posts back to the URL it was shown on.
    assert "admin/delete_selected_confirmation.html" in [t.name for t in page.templates]
    assert "Are you sure you want to delete the selected product?" in html
    assert Product.objects.filter(pk=obj.pk).exists()
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    assert fields["_selected_action"] == str(obj.pk) and fields["post"] == "yes"
    response = client.post(url, fields, follow=True)
    assert "Successfully deleted 1 product." in messages_of(response)
    assert response.redirect_chain[-1][0] == f"{URL}?status__exact=active"
    assert not Product.objects.filter(pk=obj.pk).exists()
    entry = LogEntry.objects.get(user=superuser)
    assert (entry.action_flag, entry.object_id) == (DELETION, str(obj.pk))


def test_a_row_action_asking_for_an_unknown_permission_is_reported():
    from toolkit.admin_ext.actions import row_action

    @row_action(permissions=["publish"], description="Publish")
    def publish(self, request, obj):
        pass

    assert "toolkit.E065" in check_ids(row_actions=["publish"], publish=publish)
    assert "toolkit.E065" not in check_ids(
        row_actions=["publish"],
        publish=publish,
        has_publish_permission=lambda self, request, obj=None: True,
    )


def test_permissions_are_asked_per_object_wherever_the_modeladmin_decides_per_object(
    catalog, superuser
):
    from django.contrib import admin
    from django.test import RequestFactory

    from toolkit.admin_ext import BulkActionsMixin, ObjectAction

    first, second = Product.objects.order_by("pk")[:2]

    class OwnViewAdmin(BulkActionsMixin, admin.ModelAdmin):
        # Django's has_view_or_change_permission asks these two with the object.
        def has_view_permission(self, request, obj=None):
            return obj is None or obj.pk != first.pk

        def has_change_permission(self, request, obj=None):
            return False

    class DjangosAdmin(BulkActionsMixin, admin.ModelAdmin):
        pass

    action = ObjectAction(name="noop", func=lambda *args: None, label="No-op")
    request = RequestFactory().get("/")
    request.user = superuser
    own = OwnViewAdmin(Product, admin.AdminSite())
    assert own.has_object_action_permission(request, action, second) is True
    assert own.has_object_action_permission(request, action, first) is False
    # Django's own methods ignore the object: one answer serves the page.
    djangos = DjangosAdmin(Product, admin.AdminSite())
    assert djangos.has_object_action_permission(request, action, first) is True
    assert request._toolkit_object_permissions[(id(djangos), "view_or_change")] is True


# -- admins written for Django before 6.1 ----------------------------------------------------


def old_signature_warning():
    """Django 6.1 warns (RemovedInDjango2028Warning) each time it asks an admin whose
    get_actions() has the old signature; before 6.1 that signature is the only one."""
    import contextlib

    import django

    if django.VERSION < (6, 1):
        return contextlib.nullcontext()
    from django.utils.deprecation import RemovedInDjango2028Warning

    return pytest.warns(RemovedInDjango2028Warning, match="without the 'action_location'")


def test_an_admin_overriding_get_actions_the_old_way_keeps_its_changelist_and_row_actions(
    catalog, superuser
):
    url = "/oldsig/catalog/product/"
    obj = active_product()
    client = client_for(superuser)
    with old_signature_warning():
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    # The override's own label, and the row buttons of the actions it returns.
    assert "Duplicate (reviewed)" in html
    assert (f"{url}{obj.pk}/row-action/duplicate_selected/", "duplicate_selected", "Duplicate") in (
        row_buttons(html)
    )
    with old_signature_warning():
        response = client.post(row_url(obj, "duplicate_selected", url), follow=True)
    assert Product.objects.filter(sku=f"{obj.sku}-copy").exists()
    with old_signature_warning():
        response = client.get(change_url(obj, url))
    assert response.status_code == 200


def test_get_actions_at_asks_either_signature_for_either_location(superuser, rf):
    from django.contrib import admin

    from toolkit.admin_ext.actions import BulkActionsMixin, bulk_action
    from toolkit.compat import get_actions_at

    @bulk_action(permissions=["change"], description="Touch", on_change_form=True)
    def touch(modeladmin, request, queryset):
        pass

    class NewSignature(BulkActionsMixin, admin.ModelAdmin):
        actions = [touch]

    class OldSignature(BulkActionsMixin, admin.ModelAdmin):
        actions = [touch]

        def get_actions(self, request):
            return super().get_actions(request)

    request = rf.get("/")
    request.user = superuser
    site = admin.AdminSite(name="compat")
    change_form = getattr(ActionLocation, "CHANGE_FORM", "change form")
    new, old = NewSignature(Product, site), OldSignature(Product, site)

    def ask_old(location=None):
        if not NATIVE_CHANGE_FORM_ACTIONS:
            return get_actions_at(old, request, location)
        # Asked as Django asks it, with Django's own deprecation warning.
        with pytest.warns(Warning, match="without the 'action_location' parameter"):
            return get_actions_at(old, request, location)

    assert "touch" in get_actions_at(new, request) and "touch" in ask_old()
    if NATIVE_CHANGE_FORM_ACTIONS:
        assert set(get_actions_at(new, request, ActionLocation.CHANGE_LIST)) >= {"touch"}
        assert set(get_actions_at(new, request, change_form)) == {"touch"}
        # As Django decides for such an admin: no change-form actions.
        assert ask_old(change_form) == {}
    else:
        # Before 6.1 the change list is the only location.
        assert get_actions_at(new, request, change_form) == {}


@pytest.mark.skipif(not NATIVE_CHANGE_FORM_ACTIONS, reason="change-form actions are new in 6.1")
def test_running_the_change_form_actions_with_none_chosen_says_so_as_django_does(
    catalog, superuser
):
    obj = active_product()
    client = client_for(superuser)
    response = client.post(
        change_url(obj),
        {"CHANGE_FORM-action": "", "_selected_action": obj.pk, "index": "0"},
    )
    assert response.status_code == 302 and response.url == change_url(obj)
    assert "No action selected." in messages_of(client.get(response.url))
    assert not Product.objects.filter(sku__endswith="-copy").exists()
