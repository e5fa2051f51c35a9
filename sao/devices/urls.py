from django.urls import path

from sao.devices import views
from sao.devices.import_views import import_urlpatterns

app_name = "devices"
urlpatterns = [
    path("", views.device_list, name="device_list"),
    path("<int:pk>/", views.device_detail, name="device_detail"),
    path("<int:pk>/commands/", views.device_commands, name="device_commands"),
    path("<int:pk>/resync/", views.device_resync, name="device_resync"),
    path("<int:pk>/clock-trust/", views.device_clock_trust, name="device_clock_trust"),
    path("pending/", views.pending_list, name="pending_list"),
    path("pending/<int:pk>/accept/", views.pending_accept, name="pending_accept"),
    path("unknown-pins/", views.unknown_pin_list, name="unknown_pin_list"),
    path("unknown-pins/map/", views.unknown_pin_map, name="unknown_pin_map"),
    # Punch file upload with background import and progress (the file import screens).
    *import_urlpatterns,
]
