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


# -- duplicate warnings, linking, drafts ---------------------------------------------------
MARIA = ("Maria Gonzalez", "+17735550142")


def known_customer(desk_app, name=MARIA[0], phone=MARIA[1], **extra):
    contact = desk_app.builtin.add_contact(name, phone, desk_app.clock(), "person:test",
                                           **extra)
    desk_app.duplicates.invalidate()
    return contact


def test_typing_a_known_customers_number_shows_the_warning(qtbot, window, desk_app):
    known_customer(desk_app, email="maria@example.com", address="2214 W Belmont Ave, Chicago")
    _row, form = open_form(qtbot, window)
    fill(form, name="", phone="")
    with qtbot.waitSignal(form.checked, timeout=3000):
        fill(form, phone="(773) 555-0142", name="Maria Gonzales")  # a typo, another format
    panel = form.duplicates
    assert panel.isVisible()
    assert "may already be a customer" in panel.title.text()
    top = panel.matches[0]
    assert top.kind == "contact" and top.same_person and top.name == "Maria Gonzalez"
    assert any("phone" in reason for reason in top.reasons)


def test_linking_prefills_and_the_lead_goes_onto_that_customer(qtbot, window, desk_app):
    contact = known_customer(desk_app, email="maria@example.com",
                             address="2214 W Belmont Ave, Chicago, IL 60618")
    row, form = open_form(qtbot, window)
    fill(form, name="", phone="", email="")
    with qtbot.waitSignal(form.checked, timeout=3000):
        fill(form, phone="773-555-0142")
    qtbot.mouseClick(form.duplicates.buttons[("contact", contact.id)],
                     Qt.MouseButton.LeftButton)
    values = form.values()
    assert values["name"] == "Maria Gonzalez" and values["email"] == "maria@example.com"
    assert values["service_address"] == "2214 W Belmont Ave, Chicago, IL 60618"
    assert "Linked to Maria Gonzalez" in form.duplicates.title.text()
    fill(form, service_type="Water heater", urgency="urgent", source="Yelp")
    with qtbot.waitSignal(form.saved, timeout=3000):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    [lead] = desk_app.leads.all()
    assert lead.contact_id == contact.id
    assert desk_app.builtin.test_connection().message.startswith("Built-in CRM holds 1 ")


def test_create_new_anyway_needs_a_reason_and_records_it(qtbot, window, desk_app):
    known_customer(desk_app)
    _row, form = open_form(qtbot, window)
    fill(form, name="", phone="")
    with qtbot.waitSignal(form.checked, timeout=3000):
        fill(form, name="Maria Gonzalez", phone="(773) 555-0142")
    fill(form, service_address="9 Pine St, Oak Park, IL 60302", service_type="Drain cleaning",
         urgency="routine", source="Yelp")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.isVisible() and "may already be a customer" in form.banner.text()
    assert desk_app.leads.all() == []
    form.duplicates.create_anyway.setChecked(True)
    form.duplicates.reason.setText("Her daughter, same name, moved out")
    with qtbot.waitSignal(form.saved, timeout=3000):
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    entries = [r for r in desk_app.changelog.rows() if r.action == "duplicate_overridden"]
    assert entries and entries[0].reason.startswith("Her daughter, same name, moved out")


def test_a_draft_comes_back_after_a_crash(qtbot, window, desk_app):
    row = window.queue_tab.proxy.index(0, 0).data(ROW_ROLE)
    form = window.open_lead_form(row.id)  # not handed to qtbot: it will not be closed
    fill(form, name="Ann Lee", notes="gate code 4411", service_address="12 Oak St")
    form.draft_timer.timeout.emit()  # the autosave (it runs after a pause in typing)
    form.deleteLater()                # the desk "crashes": no Cancel, no Save
    qtbot.wait(10)
    again = window.open_lead_form(row.id)
    qtbot.addWidget(again)
    values = again.values()
    assert (values["name"], values["notes"], values["service_address"]) == (
        "Ann Lee", "gate code 4411", "12 Oak St")
    assert "restored" in again.banner.text()
    again.reject()                    # Cancel throws the draft away
    third = window.open_lead_form(row.id)
    qtbot.addWidget(third)
    assert third.values()["notes"] == (row.transcript or "")  # the call's, not the draft's


def test_a_draft_keeps_the_link_and_the_reason_to_create_anyway(qtbot, window, desk_app):
    """After a crash the receptionist's answer to the warning comes back with the text:
    the link to the customer, or "create new anyway" with its reason."""
    contact = known_customer(desk_app)
    row = window.queue_tab.proxy.index(0, 0).data(ROW_ROLE)
    form = window.open_lead_form(row.id)
    with qtbot.waitSignal(form.checked, timeout=3000):
        fill(form, name="Maria Gonzalez", phone="(773) 555-0142")
    form.link_to(form.duplicates.matches[0])
    form.draft_timer.timeout.emit()
    form.deleteLater()                # crash
    qtbot.wait(10)
    again = window.open_lead_form(row.id)  # crashes too, below: not handed to qtbot
    qtbot.waitUntil(lambda: again.duplicates.linked is not None, timeout=3000)
    assert (again.duplicates.linked.kind, again.duplicates.linked.id) == ("contact",
                                                                         contact.id)

    again.duplicates.unlink()
    again.duplicates.create_anyway.setChecked(True)
    again.duplicates.reason.setText("Her niece, same name")
    again.draft_timer.timeout.emit()
    again.deleteLater()               # crash again
    qtbot.wait(10)
    third = window.open_lead_form(row.id)
    qtbot.addWidget(third)
    qtbot.waitUntil(lambda: third.duplicates.create_anyway.isChecked(), timeout=3000)
    assert third.duplicates.reason.text() == "Her niece, same name"
    assert third.duplicates.linked is None and not third.duplicates.needs_decision()


def test_the_address_is_split_as_it_is_typed(qtbot, window):
    _row, form = open_form(qtbot, window)
    fill(form, service_address="2214 W Belmont Ave Apt 3B, Chicago, Illinois 60618")
    shown = form.address_parts.text()
    assert "Street: 2214 W Belmont Ave" in shown and "Unit: Apt 3B" in shown
    assert "City: Chicago" in shown and "Zip: 60618" in shown


def test_the_phone_is_shown_formatted_when_the_field_is_left(qtbot, window):
    _row, form = open_form(qtbot, window)
    fill(form, phone="773.555.0142")
    form.inputs["phone"].editingFinished.emit()
    assert form.values()["phone"] == "(773) 555-0142"
    fill(form, phone="555-12")
    form.inputs["phone"].editingFinished.emit()
    assert form.values()["phone"] == "555-12"  # not a number yet: left as typed


def test_saving_right_after_typing_waits_for_the_duplicate_check(qtbot, window, desk_app):
    """Save pressed before the debounced check ran: the check runs first, and a likely
    duplicate still stops the save."""
    known_customer(desk_app)
    _row, form = open_form(qtbot, window)
    fill(form, name="Maria Gonzalez", phone="(773) 555-0142",
         service_address="9 Pine St, Oak Park, IL 60302", service_type="Drain cleaning",
         urgency="routine", source="Yelp")
    assert form.check_timer.isActive()  # the check has not run yet
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert "may already be a customer" in form.banner.text()
    assert desk_app.leads.all() == []


def test_a_link_is_dropped_when_the_caller_details_change(qtbot, window, desk_app):
    contact = known_customer(desk_app)
    _row, form = open_form(qtbot, window)
    fill(form, name="", phone="")
    with qtbot.waitSignal(form.checked, timeout=3000):
        fill(form, phone="(773) 555-0142")
    form.link_to(next(m for m in form.duplicates.matches if m.id == contact.id))
    assert form.duplicates.linked is not None
    with qtbot.waitSignal(form.checked, timeout=3000):
        fill(form, name="Dev Patel", phone="(847) 555-0999", service_address="")
        form.check_timer.timeout.emit()
    assert form.duplicates.linked is None


def test_a_late_draft_does_not_overwrite_what_was_typed(qtbot, window):
    _row, form = open_form(qtbot, window)
    fill(form, name="Typed Now")
    form.restore_draft({"name": "From Draft", "notes": "gate 4411"})
    assert form.values()["name"] == "Typed Now" and form.values()["notes"] == "gate 4411"


def test_cancel_is_ignored_while_the_lead_is_being_saved(qtbot, window):
    _row, form = open_form(qtbot, window)
    form.show()
    form._saving = True
    form.reject()
    assert form.isVisible()
