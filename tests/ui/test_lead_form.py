"""The lead form: required fields validated with messages, nothing typed is lost."""

from __future__ import annotations

from PySide6.QtCore import Qt

from desktop.ui.models.queue_model import ROW_ROLE


def open_form(qtbot, window):
    row = window.queue_tab.proxy.index(0, 0).data(ROW_ROLE)
    window.queue_tab.select_item(row.id)
    form = window.open_lead_form(row.id)
    qtbot.addWidget(form)
    return row, form


def fill(form, **values):
    for key, value in values.items():
        widget = form.inputs[key]
        if hasattr(widget, "setCurrentText") and hasattr(widget, "findText"):
            widget.setCurrentIndex(widget.findText(value))
        elif hasattr(widget, "setPlainText"):
            widget.setPlainText(value)
        else:
            widget.setText(value)


def test_form_is_prefilled_from_the_caller(qtbot, window):
    row, form = open_form(qtbot, window)
    assert form.values()["phone"].replace(" ", "") == row.phone_display.replace(" ", "")
    assert form.values()["name"] == (row.display_name or "")


def test_missing_required_fields_block_saving_with_messages(qtbot, window, desk_app):
    _row, form = open_form(qtbot, window)
    fill(form, name="", service_address="")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.isVisible()
    assert form.errors["name"].text() == "Name is required."
    assert form.errors["service_address"].text() == "Service address is required."
    assert form.errors["service_type"].isVisible()
    assert "fix" in form.banner.text()
    assert desk_app.leads.all() == []


def test_bad_phone_is_named_and_typed_text_is_kept(qtbot, window):
    _row, form = open_form(qtbot, window)
    fill(form, name="Ann Lee", phone="555-12", notes="gate code 4411")
    assert form.errors["phone"].isVisible()
    assert "not" in form.errors["phone"].text()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.values()["name"] == "Ann Lee"
    assert form.values()["notes"] == "gate code 4411"


def test_a_complete_lead_saves_to_the_builtin_crm_and_resolves_the_item(qtbot, window, desk_app):
    row, form = open_form(qtbot, window)
    fill(form, name="Ann Lee", service_address="12 Oak St, Evanston IL 60201",
         service_type="Drain cleaning", urgency="routine", source="Yelp")
    with qtbot.waitSignal(form.saved, timeout=2000):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    leads = desk_app.leads.all()
    assert len(leads) == 1
    assert leads[0].name == "Ann Lee" and leads[0].phone == row.phone
    assert leads[0].delivery_state == "delivered" and leads[0].crm_provider == "builtin"
    resolved = window.model.row_for(row.id)
    assert resolved.state == "done" and resolved.disposition == "lead_created"
    assert resolved.lead_id == leads[0].id


def test_a_failed_save_keeps_the_form_open_with_the_reason(qtbot, window, desk_app, monkeypatch):
    _row, form = open_form(qtbot, window)
    fill(form, name="Ann Lee", service_address="12 Oak St", service_type="Drain cleaning",
         urgency="routine", source="Yelp")

    def broken(*_args):
        raise OSError("database is locked")

    monkeypatch.setattr(desk_app.leads, "create", broken)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.isVisible()
    assert "database is locked" in form.banner.text()
    assert form.values()["name"] == "Ann Lee"
    assert form.save_button.isEnabled()
