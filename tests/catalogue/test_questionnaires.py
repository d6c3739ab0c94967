"""Questionnaires are versioned data files, validated when loaded."""

from __future__ import annotations

import copy
import json
import unicodedata

import pytest
import sqlalchemy as sa
from helpers import filled_survey

from satisfaction.catalogue.loading import load_file, shipped_files, sync_questionnaires
from satisfaction.db.catalogue import QuestionnaireVersion
from satisfaction.extensions import db
from satisfaction.indices.questionnaires import QuestionnaireError, checksum, parse_definition


def shipped(code: str) -> dict:
    """The newest shipped version of a questionnaire."""
    found = [raw for raw, definition in map(load_file, shipped_files())
             if definition.code == code]
    if not found:
        raise KeyError(code)
    return max(found, key=lambda raw: raw["version"])


def test_sipas_2640_has_5_elements_and_22_criteria():
    definition = parse_definition(shipped("sipas-2640"))
    assert [len(e.items) for e in definition.elements] == [4, 5, 6, 3, 4]
    assert definition.elements[0].label["vi"] == "Tiếp cận dịch vụ"
    assert definition.extras == ()
    assert all(item.required for item in definition.scored_items())
    scale = definition.item("A1").scale
    assert [o.value for o in scale.options] == [1, 2, 3, 4, 5]
    assert scale.options[4].label == {"vi": "Rất hài lòng", "en": "Very satisfied"}
    assert scale.no_opinion["vi"] == "Không có ý kiến"


def test_sipas_1001_has_16_items_and_the_extra_questions():
    definition = parse_definition(shipped("sipas-1001"))
    assert [len(e.items) for e in definition.elements] == [3, 4, 3, 3, 3]
    extra_codes = [item.code for group in definition.extras for item in group.items]
    assert extra_codes[:3] == ["H1", "H2", "H3"]
    assert len([c for c in extra_codes if c.startswith("I")]) == 10
    assert not any(item.required for group in definition.extras for item in group.items)
    assert [o.label["vi"] for o in definition.item("H1").scale.options] == [
        "Không có", "Một số", "Nhiều",
    ]


def test_every_shipped_text_is_vietnamese_nfc_and_has_english():
    for path in shipped_files():
        raw, definition = load_file(path)
        for item in definition.items():
            for locale in ("vi", "en"):
                assert item.text[locale].strip()
                assert unicodedata.is_normalized("NFC", item.text[locale])


def test_all_problems_are_reported_at_once():
    raw = copy.deepcopy(shipped("sipas-2640"))
    raw["version"] = 0
    raw["elements"][0]["items"][1]["code"] = "A1"  # duplicate
    raw["elements"][1]["items"][0]["scale"] = "nope"
    del raw["elements"][2]["items"][0]["text"]["vi"]
    raw["elements"][3]["items"][0]["text"]["vi"] = unicodedata.normalize("NFD", "Kết quả")
    raw["scales"]["satisfaction5"]["options"][1]["value"] = 1
    with pytest.raises(QuestionnaireError) as error:
        parse_definition(raw, "broken.json")
    problems = "\n".join(error.value.problems)
    assert "version" in problems
    assert "'A1' is used twice" in problems
    assert "unknown scale 'nope'" in problems
    assert "missing the 'vi' text" in problems
    assert "NFC" in problems
    assert "option values must be unique" in problems
    assert len(error.value.problems) >= 6


@pytest.mark.parametrize("document", [None, [], "text", {"code": "x"}, {}])
def test_nonsense_documents_are_refused(document):
    with pytest.raises(QuestionnaireError):
        parse_definition(document)


def test_checksum_ignores_formatting_but_not_content():
    raw = shipped("sipas-2640")
    reformatted = json.loads(json.dumps(raw, indent=7, sort_keys=True))
    assert checksum(raw) == checksum(reformatted)
    changed = copy.deepcopy(raw)
    changed["elements"][0]["items"][0]["text"]["vi"] += " (sửa)"
    assert checksum(changed) != checksum(raw)


def test_bad_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(QuestionnaireError, match="cannot read JSON"):
        load_file(path)


def write_version(tmp_path, raw: dict, name: str):
    path = tmp_path / name
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_version_with_responses_never_changes(client, survey, app, tmp_path):
    path, html = survey
    assert client.post(path, data=filled_survey(html)).status_code == 303
    edited = copy.deepcopy(shipped("sipas-2640"))
    edited["elements"][0]["items"][0]["text"]["vi"] = "Câu hỏi đã bị sửa"
    with app.app_context():
        with pytest.raises(QuestionnaireError, match="already has responses"):
            sync_questionnaires([write_version(tmp_path, edited, "edited.json")])
        db.session.rollback()
        stored = db.session.scalar(
            sa.select(QuestionnaireVersion).where(QuestionnaireVersion.version == 2).join(
                QuestionnaireVersion.questionnaire
            ).where(sa.text("questionnaire.code = 'sipas-2640'"))
        )
        assert stored.definition["elements"][0]["items"][0]["text"]["vi"] != "Câu hỏi đã bị sửa"

        # The change published as version 3 is what the counter's code shows from now on.
        edited["version"] = 3
        report = sync_questionnaires([write_version(tmp_path, edited, "v3.json")])
        db.session.commit()
        assert report == ["sipas-2640 v3: loaded"]
    assert "Câu hỏi đã bị sửa" in client.get(path).get_data(as_text=True)


def test_a_version_without_responses_may_be_corrected(app_ctx, tmp_path):
    sync_questionnaires()
    edited = copy.deepcopy(shipped("sipas-2640"))
    edited["intro"]["vi"] = "Lời giới thiệu đã sửa."
    report = sync_questionnaires([write_version(tmp_path, edited, "fix.json")])
    assert report == ["sipas-2640 v2: updated (no responses yet)"]
    assert sync_questionnaires([write_version(tmp_path, edited, "fix.json")]) == [
        "sipas-2640 v2: unchanged"
    ]


def test_cli_loads_and_reports_invalid_files(runner, tmp_path):
    result = runner.invoke(args=["questionnaires", "load"])
    assert result.exit_code == 0, result.output
    assert "sipas-2640 v1: loaded" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"code": "Bad Code"}', encoding="utf-8")
    result = runner.invoke(args=["questionnaires", "load", str(broken)])
    assert result.exit_code != 0
    assert "broken.json" in result.output and "code:" in result.output


def test_the_stated_duration_is_computed_from_the_questionnaire(client, survey):
    """Issue 18: the intro promised "khoảng 2 phút" for 22 statements and referred to
    numbers the buttons do not show; the newest versions say neither, and the form states
    a duration computed from the words (120 a minute) and the answers (4 s each)."""
    from satisfaction.indices.questionnaires import estimated_minutes, parse_definition

    raw = shipped("sipas-2640")
    for code in ("sipas-2640", "sipas-1001", "pci-q1", "papi-q1", "par-q1", "bsi-q1"):
        intro = shipped(code)["intro"]
        assert "1 =" not in intro["vi"] + intro["en"]
        assert "phút" not in intro["vi"] and "ẩn danh" not in intro["vi"]
    definition = parse_definition(raw)
    # By hand: the words a slow reader reads once, then the answers.
    words = len(raw["title"]["vi"].split()) + len(raw["intro"]["vi"].split())
    words += sum(len(i["text"]["vi"].split()) for e in raw["elements"] for i in e["items"])
    scale = raw["scales"]["satisfaction5"]
    words += sum(len(o["label"]["vi"].split()) for o in scale["options"])
    words += len(scale["no_opinion"]["vi"].split())
    seconds = words / 120 * 60 + 4 * (22 + 2)
    assert estimated_minutes(definition, "vi") == -(-int(seconds) // 60) == 5
    _path, html = survey
    assert "Thời gian trả lời khoảng 5 phút." in html
