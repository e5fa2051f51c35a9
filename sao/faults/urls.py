from django.urls import path

from sao.faults import views

app_name = "faults"
urlpatterns = [
    path("", views.board, name="board"),
    path("unit/", views.unit_tickets, name="unit_tickets"),
    path("report/", views.monthly_report, name="monthly_report"),
    path("<int:pk>/", views.ticket_detail, name="ticket_detail"),
    path("<int:pk>/transition/", views.ticket_transition, name="ticket_transition"),
    path("<int:pk>/photo/", views.ticket_photo, name="ticket_photo"),
    path("<int:pk>/presence/", views.presence_enter, name="presence_enter"),
    path("presence/<int:pk>/evidence/", views.presence_evidence, name="presence_evidence"),
    path("presence/<int:pk>/decide/", views.presence_decide, name="presence_decide"),
    path("device/<int:pk>/", views.device_history, name="device_history"),
]
