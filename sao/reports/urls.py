from django.urls import path

from sao.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/today/", views.dashboard_today, name="dashboard_today"),
    path("dashboard/<slug:chart>.csv", views.dashboard_csv, name="dashboard_csv"),
    path("daily/", views.daily, name="daily"),
    path("recap/", views.recap, name="recap"),
    path("rates/", views.rates, name="rates"),
    path("events/<slug:kind>/", views.events, name="events"),
    path("tpp/", views.tpp, name="tpp"),
    path("discipline/", views.discipline, name="discipline"),
    path("export/<slug:report>/", views.export_start, name="export_start"),
    path("export/job/<int:pk>/", views.export_detail, name="export_detail"),
    path("export/job/<int:pk>/download/", views.export_download, name="export_download"),
    path("me/", views.my_month, name="my_month"),
    path("me/<int:year>/<int:month>/", views.my_month, name="my_month_of"),
]
