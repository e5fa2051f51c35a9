from django.urls import path

from sao.calendars import views

app_name = "calendars"
urlpatterns = [
    path("policy/", views.policy_detail, name="policy"),
    path("roster/<int:unit_pk>/<int:year>/<int:month>/", views.roster_month, name="roster_month"),
]
