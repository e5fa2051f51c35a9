from django.urls import path

from sao.notify import views

app_name = "notify"
urlpatterns = [
    path("", views.message_log, name="log"),
]
