"""The screens as a user meets them, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from sao.org.models import Employee
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_login_home_in_indonesian(page, cast):
    log_in(page, "opa")

    expect(page.get_by_test_id("employee-count")).to_have_text("3")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("#nav").get_by_role("link", name="Beranda", exact=True)).to_be_visible()


def test_unit_tree_shows_only_scope(page, cast):
    log_in(page, "vera")

    page.goto("/org/units/")

    tree = page.get_by_test_id("unit-tree")
    expect(tree.locator("li[data-unit='OPD-A']")).to_be_visible()
    expect(tree.locator("li[data-unit='UPT-A']")).to_be_visible()
    expect(tree.locator("li[data-unit='OPD-B']")).to_have_count(0)


def test_employee_search_filters_as_you_type(page, cast):
    log_in(page, "opbkd")
    page.goto("/org/employees/")
    expect(page.get_by_test_id("result-count")).to_contain_text("5")

    page.get_by_role("searchbox").fill("Staf A")

    expect(page.get_by_test_id("result-count")).to_contain_text("2")
    expect(page).to_have_url(re.compile(r"q=Staf"))
    page.get_by_role("link", name="Staf A Dua").click()
    expect(page.get_by_test_id("employee-name")).to_have_text("Staf A Dua")
    expect(page.get_by_test_id("assignments")).to_contain_text("UPT A")


def test_language_switch_to_english(page, cast):
    log_in(page, "opa")

    page.select_option("select[name=language]", "en")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#nav").get_by_role("link", name="Home", exact=True)).to_be_visible()


def test_import_preview_and_apply(page, cast, tmp_path):
    csv_file = tmp_path / "pegawai.csv"
    csv_file.write_text(
        "nip,nama,kode_unit\n"
        "198609262015051001,Andi Wijaya,UPT-A\n"
        "1.97E+17,Excel Rusak,UPT-A\n"
    )
    log_in(page, "opa")
    page.goto("/org/employees/import/")

    page.set_input_files("#id_file", str(csv_file))
    page.locator("form button[type=submit]").first.click()

    expect(page.get_by_test_id("count-create")).to_have_text("1")
    expect(page.get_by_test_id("count-errors")).to_have_text("1")
    expect(page.get_by_test_id("row-errors")).to_contain_text("1.97E+17")
    page.locator("form[action$='/apply/'] button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert Employee.objects.filter(nip="198609262015051001").exists()


def test_lockout_page_after_failures(page, cast):
    for _attempt in range(5):
        log_in(page, "opa", password="wrong-password")

    log_in(page, "opa")

    expect(page.get_by_test_id("locked-out")).to_be_visible()


def test_audit_trail_readable_for_operator(page, cast):
    import datetime as dt

    from sao.devices.services import device_register, pin_mapping_create

    device, _created = device_register(serial="AUDIT-A", unit=cast.unit_a, actor=cast.admin_bkd)
    pin_mapping_create(
        employee=cast.staff_a1, pin="11", valid_from=dt.date(2026, 1, 1), device=device, actor=cast.operator_a
    )
    log_in(page, "opa")

    page.goto("/audit/")

    rows = page.get_by_test_id("audit-row")
    expect(rows.filter(has_text="pin_mapping.create")).to_have_count(1)
    register = rows.filter(has_text="device.register")
    expect(register).to_have_count(1)
    # A readable table of fields, with the unit named, not a Python dict of ids.
    expect(register.get_by_test_id("audit-change").filter(has_text="UPT A")).to_have_count(1)
    expect(page.locator("#entry-rows")).not_to_contain_text("{'")
