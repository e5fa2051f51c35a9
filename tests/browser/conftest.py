"""Helpers of the browser tests; the `browser` and `page` fixtures live in tests/conftest.py."""


def log_in(page, username: str, password: str = "secret-pass-123") -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
