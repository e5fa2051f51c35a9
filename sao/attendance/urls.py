from django.urls import path

from sao.attendance import views

app_name = "attendance"
urlpatterns = [
    path("results/<int:pk>/", views.result_detail, name="result_detail"),
    path("employees/<int:employee_pk>/<int:year>/<int:month>/", views.employee_month, name="employee_month"),
    path("discipline/<int:year>/", views.discipline_year, name="discipline"),
    path("close/<int:unit_pk>/<int:year>/<int:month>/", views.month_close_detail, name="month_close"),
]
