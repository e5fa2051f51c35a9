"""The project URLs plus the audit screen at /audit/, as the lead is asked to mount it."""

from django.urls import include, path

from sao.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns]
if not any(str(pattern.pattern) == "audit/" for pattern in project_urlpatterns):
    urlpatterns.append(path("audit/", include("sao.audit.urls")))
