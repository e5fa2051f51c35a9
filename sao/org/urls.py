from django.urls import path

from sao.org import views

app_name = "org"
urlpatterns = [
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("employees/", views.employee_list, name="employee_list"),
    path("employees/<int:pk>/", views.employee_detail, name="employee_detail"),
    path("employees/import/", views.employee_import, name="employee_import"),
    path("employees/import/<int:pk>/", views.employee_import_preview,
         name="employee_import_preview"),
    path("employees/import/<int:pk>/apply/", views.employee_import_apply,
         name="employee_import_apply"),
]
