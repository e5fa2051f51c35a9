from django.urls import path

from sao.absences import views

app_name = "absences"
urlpatterns = [
    path("", views.absence_list, name="list"),
    path("new/", views.absence_new, name="new"),
    path("group/", views.travel_group_new, name="group"),
    path("inbox/", views.approval_inbox, name="inbox"),
    path("mine/", views.my_calendar, name="mine"),
    path("timeliness/", views.timeliness_report, name="timeliness"),
    path("employees/<int:employee_pk>/<int:year>/", views.employee_calendar, name="calendar"),
    path("<str:code>/", views.absence_detail, name="detail"),
    path("<str:code>/decide/", views.absence_decide, name="decide"),
    path("<str:code>/resubmit/", views.absence_resubmit, name="resubmit"),
]
