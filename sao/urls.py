from django.contrib import admin
from django.urls import include, path

from sao.core.admin_site import restrict_admin_to_bkd

restrict_admin_to_bkd(admin.site)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("sao.core.urls")),
    path("org/", include("sao.org.urls")),
    path("devices/", include("sao.devices.urls")),
    path("calendars/", include("sao.calendars.urls")),
    path("attendance/", include("sao.attendance.urls")),
    path("absences/", include("sao.absences.urls")),
    path("notify/", include("sao.notify.urls")),
    path("audit/", include("sao.audit.urls")),
    path("faults/", include("sao.faults.urls")),
    path("reports/", include("sao.reports.urls")),
    path("iclock/", include("sao.devices.iclock_urls")),
]
