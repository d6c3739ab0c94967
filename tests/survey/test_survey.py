"""The citizen's survey at the counter: open, answer, store exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from helpers import count, filled_survey, read_form

from satisfaction.db.codes import QrToken
from satisfaction.db.responses import Answer, Response
from satisfaction.db.units import Counter, Unit
from satisfaction.extensions import db
from satisfaction.indices.questionnaires import NO_OPINION


def test_form_shows_ward_counter_and_all_22_criteria_in_vietnamese(survey):
    path, html = survey
    assert "Phường Bến Nghé" in html
    assert "Bộ phận tiếp nhận và trả kết quả" in html
    form = read_form(html)
    items = [name for name in form.radios if name[0] in "ABCDE" and name[1:].isdigit()]
    assert len(items) == 22
    # Real radio buttons with words, and the "no opinion" choice.
    assert "Rất hài lòng" in html and "Rất không hài lòng" in html and "Không có ý kiến" in html
    assert form.radios["A1"] == ["1", "2", "3", "4", "5", str(NO_OPINION)]
    assert "ho-tich" in form.selects["procedure_field"]
    assert form.hidden["csrf_token"] and form.hidden["submission"]
    assert '<html lang="vi">' in html


def test_submit_stores_one_response_with_its_answers_and_redirects(client, survey, app):
    path, html = survey
    before = datetime.now(UTC)
    data = filled_survey(html, "5", A2="4", B1=str(NO_OPINION), comment="  Cán bộ rất tận tình.  ")
    data["respondent_kind"] = "business"
    response = client.post(path, data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{path}/thanks"
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200
    assert "Cảm ơn" in thanks.get_data(as_text=True)

    with app.app_context():
        stored = db.session.scalars(sa.select(Response)).all()
        assert len(stored) == 1
        r = stored[0]
        assert r.unit.code == "Q1-BN"
        assert r.counter.code == "MC1" and r.counter.unit_id == r.unit_id
        assert r.procedure_field.code == "ho-tich"
        assert r.respondent_kind == "business"
        assert r.channel == "qr"
        assert r.locale == "vi"
        assert r.status == "accepted"
        assert r.comment == "Cán bộ rất tận tình."
        assert r.questionnaire_version.questionnaire.code == "sipas-2640"
        assert r.submitted_at.tzinfo is not None
        assert before - timedelta(seconds=5) <= r.submitted_at <= datetime.now(UTC)
        answers = {a.item_code: a.value for a in r.answers}
        assert len(answers) == 22
        assert answers["A1"] == 5 and answers["A2"] == 4
        assert answers["B1"] is None  # no opinion is stored as NULL, never as a score


def test_same_form_submitted_twice_stores_one_response(client, survey, app):
    path, html = survey
    data = filled_survey(html)
    first = client.post(path, data=data)
    second = client.post(path, data=data)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    with app.app_context():
        assert count(Response) == 1
        assert count(Answer) == 22


def test_two_opened_forms_store_two_responses(client, ward_token, app):
    path = f"/s/{ward_token}"
    for _ in range(2):
        html = client.get(path).get_data(as_text=True)
        assert client.post(path, data=filled_survey(html)).status_code == 303
    with app.app_context():
        assert count(Response) == 2


def test_missing_answers_rerender_with_vietnamese_messages_and_keep_entries(client, survey, app):
    path, html = survey
    data = filled_survey(html, "2", comment="Chờ lâu quá")
    for code in ("C3", "E4"):
        del data[code]
    del data["procedure_field"]
    response = client.post(path, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Ông/Bà vui lòng kiểm tra lại 3 câu trả lời" in page
    assert page.count("Ông/Bà vui lòng chọn một câu trả lời.") >= 3
    assert 'href="#q-C3"' in page and 'href="#q-E4"' in page
    again = read_form(page)
    assert again.checked["A1"] == "2" and again.checked["D3"] == "2"
    assert "C3" not in again.checked
    assert again.textareas["comment"].strip() == "Chờ lâu quá"
    assert again.hidden["submission"] == data["submission"]
    with app.app_context():
        assert count(Response) == 0

    # Completing the same form then stores it once.
    data.update(C3="3", E4="3", procedure_field="dat-dai")
    assert client.post(path, data=data).status_code == 303
    with app.app_context():
        assert count(Response) == 1


def test_comment_over_2000_characters_is_refused_and_nothing_stored(client, survey, app):
    path, html = survey
    response = client.post(path, data=filled_survey(html, comment="ý" * 2001))
    assert response.status_code == 422
    assert "tối đa 2.000 ký tự" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Response) == 0
    assert client.post(path, data=filled_survey(html, comment="ý" * 2000)).status_code == 303


def test_english_on_a_link_remembered_in_the_session(client, survey, app):
    path, html = survey
    assert 'href="/lang/en?next=' in html
    switched = client.get(f"/lang/en?next={path}")
    assert switched.status_code == 303 and switched.headers["Location"] == path
    page = client.get(path).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Very satisfied" in page and "Ben Nghe Ward" in page
    assert "Rất hài lòng" not in page
    response = client.post(path, data=filled_survey(page))
    assert response.status_code == 303
    assert "Thank you" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(Response.locale)) == "en"
    client.get(f"/lang/vi?next={path}")
    assert '<html lang="vi">' in client.get(path).get_data(as_text=True)


def test_language_link_never_redirects_off_site(client):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.get("/lang/en", query_string={"next": target})
        assert response.status_code == 303
        assert response.headers["Location"] == "/"


def test_business_questionnaire_1001_with_extra_questions(client, app, demo):
    with app.app_context():
        counter = db.session.scalar(
            sa.select(Counter).join(Unit).where(Unit.code == "Q1-BT")
        )
        from satisfaction.db.catalogue import Questionnaire

        questionnaire = db.session.scalar(
            sa.select(Questionnaire).where(Questionnaire.code == "sipas-1001")
        )
        db.session.add(
            QrToken(token="token-for-1001-test", counter=counter, questionnaire=questionnaire)
        )
        db.session.commit()
    path = "/s/token-for-1001-test"
    html = client.get(path).get_data(as_text=True)
    form = read_form(html)
    scored = [n for n in form.radios if n[0] in "ABCDE"]
    assert len(scored) == 16
    assert "H1" in form.radios and "I10" in form.radios
    data = filled_survey(html, "4")
    # The extra questions are optional: leave the improvement items unanswered.
    for name in list(data):
        if name.startswith("I"):
            del data[name]
    data["H1"] = "1"
    assert client.post(path, data=data).status_code == 303
    with app.app_context():
        r = db.session.scalar(sa.select(Response))
        codes = {a.item_code for a in r.answers}
        assert len(codes) == 16 + 3  # 16 criteria, H1-H3 answered, I1-I10 left out
        assert r.unit.code == "Q1-BT"
