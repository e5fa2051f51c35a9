"""The ZKTeco push endpoints, mounted at /iclock/ exactly as the firmware calls them."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
