from django.urls import path

from sao.absences import views

app_name = "absences"
urlpatterns = [
    path("", views.absence_list, name="list"),
    path("new/", views.absence_new, name="new"),
    path("group/", views.travel_group_new, name="group"),
    path("group/search/", views.travel_group_search, name="group_search"),
    path("group/chip/<int:employee_pk>/", views.travel_group_chip, name="group_chip"),
    path("inbox/", views.approval_inbox, name="inbox"),
    path("mine/", views.my_calendar, name="mine"),
    path("timeliness/", views.timeliness_report, name="timeliness"),
    path("delegations/", views.delegation_list, name="delegations"),
    path("delegations/<int:pk>/end/", views.delegation_stop, name="delegation_end"),
    path("employees/<int:employee_pk>/<int:year>/", views.employee_calendar, name="calendar"),
    path("<str:code>/", views.absence_detail, name="detail"),
    path("<str:code>/decide/", views.absence_decide, name="decide"),
    path("<str:code>/resubmit/", views.absence_resubmit, name="resubmit"),
]
