"""SavedViewsMixin: save, list, share, apply and delete changelist views."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from demo.catalog.models import Category, Product, Supplier
from tests.admin_ext import site_views
from toolkit.admin_ext.models import SavedView

pytestmark = pytest.mark.urls("tests.admin_ext.site_views")

CHANGELIST = "/admin/catalog/product/"
SAVE = "/admin/catalog/product/saved-views/save/"
MENU = "/admin/catalog/product/saved-views/menu/"
PAGE = "/admin/catalog/product/saved-views/"
# The same list without the toolkit, and with saved views alone.
PLAIN_CHANGELIST = "/plain/catalog/product/"
MENU_CHANGELIST = "/menu/catalog/product/"


def apply_url(view):
    return reverse("views_admin:catalog_product_saved_view_apply", args=[view.pk])


def delete_url(view):
    return reverse("views_admin:catalog_product_saved_view_delete", args=[view.pk])


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def products(db):
    category = Category.objects.create(name="Cables", slug="cables")
    supplier = Supplier.objects.create(name="Acme", country="DE")
    for sku, name, status in [
        ("C-1", "USB cable", "active"),
        ("C-2", "HDMI cable", "draft"),
        ("C-3", "USB charger", "active"),
    ]:
        Product.objects.create(
            sku=sku,
            name=name,
            category=category,
            supplier=supplier,
            price=Decimal("10.00"),
            cost=Decimal("5.00"),
            status=status,
        )


@pytest.fixture
def product_type(db):
    return ContentType.objects.get_for_model(Product)


@pytest.fixture
def buyers(db, viewer):
    group = Group.objects.create(name="Buyers")
    viewer.groups.add(group)
    return group


@pytest.fixture
def other_group(db):
    return Group.objects.create(name="Finance")


@pytest.fixture
def colleague(django_user_model, buyers, other_group):
    user = django_user_model.objects.create_user("colleague", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_product"))
    user.groups.add(buyers, other_group)
    return user


def saved(owner, name, query, group=None, model=Product):
    return SavedView.objects.create(
        owner=owner,
        name=name,
        content_type=ContentType.objects.get_for_model(model),
        query_string=query,
        shared_with_group=group,
    )


@pytest.fixture
def as_viewer(client, viewer, products):
    client.force_login(viewer)
    return client


def menu(client, query=None):
    """The panel the menu fetches when it is opened on the list with ``query``."""
    response = client.get(MENU, query or {})
    assert response.status_code == 200
    return response


def menu_names(response):
    return [entry.name for entry in response.context["panel"].entries]


def count_queries(client, url, query=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, query or {})
    assert response.status_code == 200
    return len(queries.captured_queries), response


# --- the changelist page ---------------------------------------------------------------


@pytest.mark.parametrize("views", [0, 1, 20])
def test_the_menu_costs_the_changelist_page_no_query(as_viewer, viewer, colleague, buyers, views):
    for i in range(views):
        saved(viewer if i % 2 else colleague, f"View {i}", f"q={i}", group=buyers)
    query = {"status__exact": "active", "q": "usb"}
    count_queries(as_viewer, PLAIN_CHANGELIST, query)  # warm the caches of both pages
    count_queries(as_viewer, MENU_CHANGELIST, query)

    plain, _ = count_queries(as_viewer, PLAIN_CHANGELIST, query)
    with_menu, response = count_queries(as_viewer, MENU_CHANGELIST, query)

    assert response.context["toolkit_saved_views"] is not None
    assert 'class="toolkit-saved-views-menu"' in response.content.decode()
    assert with_menu == plain


def test_the_changelist_page_adds_no_form_field_for_the_menu(as_viewer, viewer, buyers):
    """Forms live in the panel: the page's own fields are those Django renders."""
    saved(viewer, "Mine", "q=usb")
    plain = as_viewer.get(PLAIN_CHANGELIST).content.decode()
    html = as_viewer.get(MENU_CHANGELIST).content.decode()

    for tag in ("<input", "<select", "<form", "<ul"):
        assert html.count(tag) == plain.count(tag), tag


def test_the_closed_menu_links_to_its_panel_and_page_for_the_current_query(as_viewer):
    response = as_viewer.get(CHANGELIST, {"status__exact": "active", "p": "2", "q": "usb"})

    links = response.context["toolkit_saved_views"]
    assert links.panel_url == f"{MENU}?status__exact=active&q=usb"
    assert links.page_url == f"{PAGE}?status__exact=active&q=usb"
    html = response.content.decode()
    assert f'data-toolkit-saved-views="{MENU}?status__exact=active&amp;q=usb"' in html
    assert f'<a href="{PAGE}?status__exact=active&amp;q=usb">Show saved views</a>' in html
    assert "/static/toolkit/admin_ext/saved_views.js" in html


def test_popups_show_no_menu(as_viewer):
    response = as_viewer.get(CHANGELIST, {"_popup": "1"})

    assert response.status_code == 200
    assert response.context.get("toolkit_saved_views") is None


def test_an_admin_whose_urls_are_not_routed_renders_its_changelist_without_the_menu(
    rf, superuser, products
):
    """As Django's own tests build one: ``ModelAdmin(model, AdminSite())``, called
    directly. The menu would have nothing to link to, so it is left out."""
    model_admin = site_views.SavedViewsProductAdmin(Product, AdminSite(name="unrouted"))
    request = rf.get("/products/", {"q": "usb"})
    request.user = superuser

    response = model_admin.changelist_view(request)
    response.render()

    assert response.status_code == 200
    assert response.context_data.get("toolkit_saved_views") is None
    assert "toolkit-saved-views" not in response.content.decode()
    assert "USB cable" in response.content.decode()


# --- the panel -------------------------------------------------------------------------


def test_menu_lists_my_views_and_those_shared_with_my_groups_only(
    as_viewer, viewer, colleague, buyers, other_group
):
    saved(viewer, "Mine", "status__exact=active")
    saved(colleague, "Shared with buyers", "q=usb", group=buyers)
    saved(colleague, "Colleague's private", "q=hdmi")
    saved(colleague, "Shared with finance", "q=lamp", group=other_group)
    saved(viewer, "Another model", "q=x", model=Category)

    response = menu(as_viewer)

    assert menu_names(response) == ["Mine", "Shared with buyers"]
    html = response.content.decode()
    assert "Colleague&#x27;s private" not in html and "Colleague's private" not in html
    assert "by colleague" in html


def test_the_panel_is_a_fragment_the_menu_script_recognises(as_viewer):
    html = menu(as_viewer).content.decode()

    assert html.strip().startswith('<div class="toolkit-saved-views-panel" data-toolkit')
    assert "<html" not in html and "<body" not in html


def test_the_panel_costs_two_queries_for_one_view_or_twenty(
    as_viewer, viewer, colleague, buyers, django_assert_num_queries
):
    saved(viewer, "One", "q=usb")
    menu(as_viewer)
    # Session, user, the viewer's permissions (2), then the menu's own: the views, and
    # the groups to share with.
    with django_assert_num_queries(6):
        menu(as_viewer)
    for i in range(10):
        saved(viewer, f"Mine {i}", f"q={i}")
        saved(colleague, f"Shared {i}", f"q={i}", group=buyers)
    with django_assert_num_queries(6):
        response = menu(as_viewer)

    assert len(menu_names(response)) == 21


def test_only_my_own_views_offer_a_delete_button(as_viewer, viewer, colleague, buyers):
    mine = saved(viewer, "Mine", "q=usb")
    theirs = saved(colleague, "Theirs", "q=usb", group=buyers)

    html = menu(as_viewer).content.decode()

    assert f'action="{delete_url(mine)}"' in html
    assert f'action="{delete_url(theirs)}"' not in html


def test_the_save_form_carries_the_current_query_without_paging(as_viewer):
    response = menu(as_viewer, {"status__exact": "active", "p": "1", "q": "usb"})

    panel = response.context["panel"]
    assert panel.query == "status__exact=active&q=usb"
    assert 'name="saved_view-query" value="status__exact=active&amp;q=usb"' in (
        response.content.decode()
    )
    assert f'action="{SAVE}"' in response.content.decode()


def test_the_share_select_offers_only_my_groups(as_viewer, buyers, other_group):
    html = menu(as_viewer).content.decode()

    assert f'<option value="{buyers.pk}">Buyers</option>' in html
    assert "Finance" not in html


def test_the_view_being_shown_is_marked_current(as_viewer, viewer):
    view = saved(viewer, "Active", "status__exact=active")
    saved(viewer, "Other", "q=usb")

    response = menu(as_viewer, {"status__exact": "active"})

    assert response.context["panel"].current.view == view
    assert f'<a href="{apply_url(view)}" class="toolkit-saved-view-link" aria-current="true">' in (
        response.content.decode()
    )


def test_hostile_names_are_escaped(as_viewer, viewer):
    saved(viewer, "<script>alert(1)</script>", "q=usb")

    html = menu(as_viewer).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_panel_needs_the_permission_to_view_the_list(client, django_user_model, products):
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)

    assert client.get(MENU).status_code == 403
    assert client.get(PAGE).status_code == 403


def test_the_panel_is_only_read(as_viewer):
    assert as_viewer.post(MENU).status_code == 405
    assert as_viewer.post(PAGE).status_code == 405


def test_without_javascript_the_menu_link_leads_to_a_page_of_the_same_panel(
    as_viewer, viewer, buyers
):
    view = saved(viewer, "Active", "status__exact=active", group=buyers)

    response = as_viewer.get(PAGE, {"status__exact": "active", "p": "3"})

    assert response.status_code == 200
    assert "toolkit/admin_ext/saved_views_panel.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "<title>Saved views of products" in html
    assert f'<a href="{apply_url(view)}" class="toolkit-saved-view-link" aria-current="true">' in (
        html
    )
    assert f'action="{SAVE}"' in html
    assert f'href="{CHANGELIST}?status__exact=active"' in html  # breadcrumbs and "back"


# --- saving ----------------------------------------------------------------------------


def test_view_only_staff_can_save_a_personal_view(as_viewer, viewer, product_type):
    response = as_viewer.post(
        SAVE, {"saved_view-name": "Active USB", "saved_view-query": "status__exact=active&q=usb"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?status__exact=active&q=usb"
    view = SavedView.objects.get()
    assert (view.owner, view.name, view.content_type) == (viewer, "Active USB", product_type)
    assert view.query_string == "status__exact=active&q=usb"
    assert view.shared_with_group is None
    assert texts(response) == ["The view “Active USB” was saved."]


def test_saving_keeps_search_filters_and_ordering_but_not_paging_or_popups(as_viewer):
    as_viewer.post(
        SAVE,
        {
            "saved_view-name": "Sorted",
            "saved_view-query": "q=usb&o=-4&status__exact=active&p=3&all=&_popup=1&e=1&cursor=x",
        },
    )

    assert SavedView.objects.get().query_string == "q=usb&o=-4&status__exact=active"


def test_saving_under_an_existing_name_updates_my_view(as_viewer, viewer):
    view = saved(viewer, "Mine", "q=usb")

    response = as_viewer.post(SAVE, {"saved_view-name": "Mine", "saved_view-query": "q=hdmi"})

    view.refresh_from_db()
    assert view.query_string == "q=hdmi"
    assert SavedView.objects.count() == 1
    assert texts(response) == ["The view “Mine” was updated."]


def test_my_view_may_share_a_name_with_a_colleagues_view(as_viewer, colleague, buyers):
    theirs = saved(colleague, "USB", "q=usb", group=buyers)

    as_viewer.post(
        SAVE, {"saved_view-name": "USB", "saved_view-query": "q=usb&status__exact=draft"}
    )

    theirs.refresh_from_db()
    assert theirs.query_string == "q=usb"
    assert SavedView.objects.filter(name="USB").count() == 2


def test_sharing_with_my_group(as_viewer, buyers, colleague):
    as_viewer.post(
        SAVE,
        {
            "saved_view-name": "For buyers",
            "saved_view-query": "q=usb",
            "saved_view-shared_with_group": buyers.pk,
        },
    )

    assert SavedView.objects.get().shared_with_group == buyers
    colleague_client = Client()
    colleague_client.force_login(colleague)
    assert menu_names(menu(colleague_client)) == ["For buyers"]


def test_sharing_with_a_group_i_am_not_in_is_refused(as_viewer, other_group):
    response = as_viewer.post(
        SAVE,
        {
            "saved_view-name": "Sneaky",
            "saved_view-query": "q=usb",
            "saved_view-shared_with_group": other_group.pk,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?q=usb"
    assert not SavedView.objects.exists()
    [message] = texts(response)
    assert message.startswith("The view was not saved: Share with:")


def test_a_name_is_required(as_viewer):
    response = as_viewer.post(SAVE, {"saved_view-name": "   ", "saved_view-query": "q=usb"})

    assert not SavedView.objects.exists()
    assert texts(response) == ["The view was not saved: Name: This field is required."]


def test_a_query_the_changelist_rejects_is_not_saved(as_viewer):
    response = as_viewer.post(
        SAVE, {"saved_view-name": "Bad", "saved_view-query": "q=usb&no_such_field=1"}
    )

    assert response.status_code == 302
    assert not SavedView.objects.exists()
    assert texts(response) == ["The view was not saved: this list does not accept “no_such_field”."]


def test_a_disallowed_lookup_is_not_saved(as_viewer):
    response = as_viewer.post(
        SAVE, {"saved_view-name": "Bad", "saved_view-query": "supplier__email__contains=x"}
    )

    assert not SavedView.objects.exists()
    assert "supplier__email__contains" in texts(response)[0]


def test_saving_without_csrf_token_is_rejected(viewer, products):
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)

    response = client.post(SAVE, {"saved_view-name": "No token", "saved_view-query": "q=usb"})

    assert response.status_code == 403
    assert not SavedView.objects.exists()


def test_saving_needs_post(as_viewer):
    response = as_viewer.get(SAVE, {"saved_view-name": "Via GET", "saved_view-query": "q=usb"})

    assert response.status_code == 405
    assert not SavedView.objects.exists()


def test_staff_who_cannot_view_the_changelist_cannot_save(client, django_user_model, products):
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)

    response = client.post(SAVE, {"saved_view-name": "X", "saved_view-query": "q=usb"})

    assert response.status_code == 403
    assert not SavedView.objects.exists()


def test_non_staff_are_sent_to_the_login_page(client, customer, viewer, products):
    view = saved(viewer, "Mine", "q=usb")
    client.force_login(customer)

    for response in (
        client.post(SAVE, {"saved_view-name": "X", "saved_view-query": "q=usb"}),
        client.get(apply_url(view)),
        client.post(delete_url(view)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("views_admin:login"))
    assert SavedView.objects.count() == 1


# --- applying --------------------------------------------------------------------------


def test_applying_a_view_redirects_to_the_changelist_with_its_query(as_viewer, viewer):
    view = saved(viewer, "Active USB", "status__exact=active&q=usb")

    response = as_viewer.get(apply_url(view), follow=True)

    assert response.redirect_chain == [(f"{CHANGELIST}?status__exact=active&q=usb", 302)]
    assert sorted(p.sku for p in response.context["cl"].result_list) == ["C-1", "C-3"]
    assert texts(response) == ["Showing the saved view “Active USB”."]


def test_a_group_member_can_apply_a_shared_view(as_viewer, colleague, buyers):
    view = saved(colleague, "Drafts", "status__exact=draft", group=buyers)

    response = as_viewer.get(apply_url(view))

    assert response["Location"] == f"{CHANGELIST}?status__exact=draft"


def test_someone_elses_private_view_cannot_be_applied(as_viewer, colleague):
    view = saved(colleague, "Private", "status__exact=draft")

    response = as_viewer.get(apply_url(view))

    assert response["Location"] == CHANGELIST
    assert "not shared with you" in texts(response)[0]


def test_a_view_of_another_model_cannot_be_applied_here(as_viewer, viewer):
    view = saved(viewer, "Categories", "q=x", model=Category)

    response = as_viewer.get(apply_url(view))

    assert response["Location"] == CHANGELIST
    assert "No saved view with ID" in texts(response)[0]


def test_a_stale_filter_is_left_out_with_a_message_and_the_rest_applied(as_viewer, viewer):
    view = saved(viewer, "Old", "status__exact=active&discontinued_filter=1&q=usb")

    response = as_viewer.get(apply_url(view), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(f"{CHANGELIST}?status__exact=active&q=usb", 302)]
    assert sorted(p.sku for p in response.context["cl"].result_list) == ["C-1", "C-3"]
    assert texts(response) == [
        "The view “Old” was applied without “discontinued_filter”, which this list no "
        "longer accepts. Save it again to keep it that way."
    ]


def test_a_filter_value_of_the_wrong_type_is_left_out(as_viewer, viewer):
    view = saved(viewer, "Typo", "stock__gte=lots&status__exact=active")

    response = as_viewer.get(apply_url(view))

    assert response["Location"] == f"{CHANGELIST}?status__exact=active"
    assert "“stock__gte”" in texts(response)[0]


def test_a_lookup_no_longer_allowed_is_left_out_not_a_400(as_viewer, viewer):
    view = saved(viewer, "Old", "supplier__email__contains=acme&q=usb")

    response = as_viewer.get(apply_url(view), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(f"{CHANGELIST}?q=usb", 302)]
    assert "supplier__email__contains" in texts(response)[0]


def test_an_ordering_by_a_column_that_no_longer_exists_is_left_out(as_viewer, viewer):
    view = saved(viewer, "Sorted", "o=42&q=usb")

    response = as_viewer.get(apply_url(view))

    assert response["Location"] == f"{CHANGELIST}?q=usb"
    assert "“o”" in texts(response)[0]


def test_a_valid_ordering_is_applied(as_viewer, viewer):
    view = saved(viewer, "By price", "o=-4.2")

    response = as_viewer.get(apply_url(view))

    assert response["Location"] == f"{CHANGELIST}?o=-4.2"


def test_a_view_with_nothing_left_to_apply_shows_the_whole_list(as_viewer, viewer):
    view = saved(viewer, "Gone", "gone_field=1")

    response = as_viewer.get(apply_url(view), follow=True)

    assert response.redirect_chain == [(CHANGELIST, 302)]
    assert texts(response) == [
        "The view “Gone” could not be applied: this list no longer accepts “gone_field”. "
        "Showing the whole list instead."
    ]


def test_an_unknown_view_id_is_a_message(as_viewer):
    response = as_viewer.get(reverse("views_admin:catalog_product_saved_view_apply", args=[9999]))

    assert response.status_code == 302
    assert "No saved view with ID “9999”" in texts(response)[0]


# --- deleting --------------------------------------------------------------------------


def test_i_can_delete_my_view_and_stay_on_my_list(as_viewer, viewer):
    view = saved(viewer, "Mine", "q=usb")

    response = as_viewer.post(delete_url(view), {"query": "status__exact=active&p=2"})

    assert response["Location"] == f"{CHANGELIST}?status__exact=active"
    assert not SavedView.objects.exists()
    assert texts(response) == ["The view “Mine” was deleted."]


def test_a_view_shared_with_me_cannot_be_deleted_by_me(as_viewer, colleague, buyers):
    view = saved(colleague, "Shared", "q=usb", group=buyers)

    response = as_viewer.post(delete_url(view))

    assert SavedView.objects.filter(pk=view.pk).exists()
    assert texts(response) == ["Only its owner can delete the view “Shared”."]


def test_someone_elses_private_view_id_cannot_be_deleted(as_viewer, colleague):
    view = saved(colleague, "Private", "q=usb")

    response = as_viewer.post(delete_url(view))

    assert SavedView.objects.filter(pk=view.pk).exists()
    assert "No saved view with ID" in texts(response)[0]


def test_someone_elses_view_name_cannot_be_overwritten_by_saving(as_viewer, colleague, buyers):
    theirs = saved(colleague, "Shared", "q=usb", group=buyers)

    as_viewer.post(SAVE, {"saved_view-name": "Shared", "saved_view-query": "q=hdmi"})

    theirs.refresh_from_db()
    assert theirs.query_string == "q=usb"


def test_deleting_without_csrf_token_is_rejected(viewer, products):
    view = saved(viewer, "Mine", "q=usb")
    client = Client(enforce_csrf_checks=True)
    client.force_login(viewer)

    response = client.post(delete_url(view))

    assert response.status_code == 403
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_deleting_needs_post(as_viewer, viewer):
    view = saved(viewer, "Mine", "q=usb")

    assert as_viewer.get(delete_url(view)).status_code == 405
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_messages_escape_hostile_names(as_viewer):
    response = as_viewer.post(
        SAVE,
        {"saved_view-name": "<img src=x onerror=alert(1)>", "saved_view-query": "q=usb"},
        follow=True,
    )

    html = response.content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


# --- system check ----------------------------------------------------------------------


def test_check_says_when_saved_views_are_required_and_the_app_is_not_installed(
    settings, monkeypatch
):
    model_admin = site_views.site.get_model_admin(Product)
    monkeypatch.setattr(model_admin, "saved_views", True)
    assert "toolkit.E030" not in [m.id for m in model_admin.check()]
    installed = [app for app in settings.INSTALLED_APPS if app != "toolkit.admin_ext"]

    with override_settings(INSTALLED_APPS=installed):
        messages = [m for m in model_admin.check() if m.id == "toolkit.E030"]

    assert len(messages) == 1
    assert "toolkit.admin_ext" in messages[0].hint


def test_without_the_app_saved_views_are_off_and_nothing_is_reported(settings, as_viewer):
    """The mixin added to an admin of a project that does not install toolkit.admin_ext
    changes nothing: no check message, no menu, no query."""
    model_admin = site_views.site.get_model_admin(Product)
    installed = [app for app in settings.INSTALLED_APPS if app != "toolkit.admin_ext"]
    with override_settings(INSTALLED_APPS=installed):
        assert "toolkit.E030" not in [m.id for m in model_admin.check()]
        response = as_viewer.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context.get("toolkit_saved_views") is None
