import functools

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .api import PREFIX, api
from .api.errors import bad_request
from .metrics import metrics

# A request refused before any view (a Host not in DJANGO_ALLOWED_HOSTS): JSON under the API.
handler400 = functools.partial(bad_request, api_prefix=PREFIX)

urlpatterns = [
    path("admin/", admin.site.urls),
    path(PREFIX.removeprefix("/"), api.urls),
    path("metrics", metrics, name="metrics"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("guides_processor.urls_console")),
]
