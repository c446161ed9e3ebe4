from django.contrib import admin
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    # Browsers ask for /favicon.ico on every page; answer instead of logging a 404.
    path("favicon.ico", RedirectView.as_view(url=static("demo/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
]
