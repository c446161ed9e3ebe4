"""The URLconf of a theme test's server: the demo's, with the product admin starting a
background job for any selection above 20 rows (the demo's catalog in a theme test is
60 products; the demo itself waits for 1,000), and grappelli's URLs where it is
installed."""

from django.apps import apps
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from demo.catalog.admin import ProductAdmin
from demo.catalog.models import Product


class ThemedProductAdmin(ProductAdmin):
    bulk_background_threshold = 20


admin.site.unregister(Product)
admin.site.register(Product, ThemedProductAdmin)

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("favicon.ico", RedirectView.as_view(url=static("demo/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
]
if apps.is_installed("grappelli"):
    urlpatterns.insert(0, path("grappelli/", include("grappelli.urls")))
