"""Issue 14.15: unique ids on the admin page, "Meine Anträge" as cards on a phone, a payment
return page that waits for the booking, readable names of the documents people download."""

from __future__ import annotations

import re
import threading
from collections import Counter
from html.parser import HTMLParser

from engine.services import documents, identity, messages
from tests.conftest import in_scope
from tests.web.conftest import login_as
from tests.web.test_portal_payment import start

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.labels: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN201 - HTMLParser's signature
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"])


def test_admin_page_has_each_id_once_and_the_token_label_names_the_token_field(client):
    login_as(client, "admin")
    page = client.get("/admin/").get_data(as_text=True)
    parser = _Ids()
    parser.feed(page)
    assert [i for i, n in Counter(parser.ids).items() if n > 1] == []
    token_form = page[page.index('id="form-token"'):]
    token_form = token_form[:token_form.index("</form>")]
    labels = re.findall(r'<label[^>]* for="([^"]+)"', token_form)
    assert labels and all(label.startswith("f-token-") for label in labels)
    assert all(f'id="{label}"' in token_form for label in labels)


def test_the_account_list_names_the_roles_in_words(client):
    """The administrator reads "Sachbearbeitung", not the role's key "clerk" (as the account
    form names them); in English as well."""
    login_as(client, "admin")
    page = client.get("/admin/").get_data(as_text=True)
    row = page.split('href="/admin/benutzer/sb1"', 1)[1].split("</tr>", 1)[0]
    assert "<td class=\"kern-table__cell\">Sachbearbeitung</td>" in row and ">clerk<" not in row
    page = client.get("/admin/?lang=en").get_data(as_text=True)
    row = page.split('href="/admin/benutzer/sb1"', 1)[1].split("</tr>", 1)[0]
    assert ">clerk<" not in row and "Sachbearbeitung" not in row, row


def test_a_refused_group_form_keeps_its_own_ids(client):
    from tests.web.conftest import csrf_token

    login_as(client, "admin")
    page = client.post("/admin/gruppen", data={"csrf_token": csrf_token(client, "/admin/"), "name": "",
                                               "title": "x"}).get_data(as_text=True)
    assert 'href="#f-gruppe-name"' in page and 'id="f-gruppe-name"' in page


def test_my_cases_cells_name_their_column(client, web_engine):
    start(web_engine)
    login_as(client, "erika")
    page = client.get("/meine-antraege").get_data(as_text=True)
    for label in ("Vorgangsnummer", "Leistung", "Eingegangen", "Stand"):
        assert f'data-label="{label}"' in page


def test_the_return_page_waits_for_the_booking(client, web_engine):
    case_id = start(web_engine)
    login_as(client, "erika")
    client.application.config["AMTSFLOW_PAYMENT_WAIT_SECONDS"] = 10
    booking = threading.Timer(0.5, in_scope(lambda: messages.correlate_message(
        web_engine, "zahlung_gebucht", "2026-PAY001", {"zahlung_status": "BOOKED"}, message_id="payment:tx:BOOKED")))
    booking.start()
    page = client.get(f"/meine-antraege/{case_id}/zahlung?status=BOOKED").get_data(as_text=True)
    booking.join()
    assert "Vielen Dank, Ihre Zahlung ist eingegangen." in page and "wird gerade verbucht" not in page
    assert client.get(f"/meine-antraege/{case_id}/zahlung/stand.json").get_json() == {"status": "BOOKED"}


def test_without_the_booking_the_page_says_so_and_asks_again_by_itself(client, web_engine):
    case_id = start(web_engine)
    login_as(client, "erika")
    client.application.config["AMTSFLOW_PAYMENT_WAIT_SECONDS"] = 0.3
    page = client.get(f"/meine-antraege/{case_id}/zahlung?status=BOOKED").get_data(as_text=True)
    assert "wird gerade verbucht" in page and "js/payment-wait.js" in page
    assert client.get(f"/meine-antraege/{case_id}/zahlung/stand.json").get_json() == {"status": "INITIAL"}
    identity.sign_in_citizen(web_engine, "max", "Max Mustermann", "basic")
    login_as(client, "max")                        # another citizen learns nothing
    assert client.get(f"/meine-antraege/{case_id}/zahlung/stand.json").status_code == 404


def test_documents_download_under_a_readable_name(client, web_engine):
    case_id = start(web_engine)
    made = documents.store(web_engine, "bescheid_bewohnerparkausweis_5f0c2a9e-1b2c-4d5e-8f90-123456789abc.pdf",
                           PDF, uploaded_by="system", case_id=case_id, kind="decision")
    mine = documents.store(web_engine, "Mietvertrag Lindenweg.pdf", PDF, uploaded_by="erika", case_id=case_id)
    login_as(client, "erika")
    page = client.get(f"/meine-antraege/{case_id}").get_data(as_text=True)
    assert "Bescheid-Bewohnerparkausweis-2026-PAY001.pdf" in page and "5f0c2a9e" not in page
    answer = client.get(f"/meine-antraege/{case_id}/dokumente/{made.id}")
    assert answer.status_code == 200
    assert 'filename=Bescheid-Bewohnerparkausweis-2026-PAY001.pdf' in answer.headers["Content-Disposition"]
    upload = client.get(f"/meine-antraege/{case_id}/dokumente/{mine.id}")
    assert "Mietvertrag" in upload.headers["Content-Disposition"]
