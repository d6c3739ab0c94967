"""One vocabulary (issue 18, ../shared/docs/glossary-vi.md): no catalogue message and no
questionnaire text a citizen reads uses a term the glossary lists under "not", "Xin vui
lòng" never appears, and no Vietnamese text writes a number the English way."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]

#: Terms the glossary rules out, with the term to use instead.
NOT_TERMS = {
    r"Xin vui lòng": "Vui lòng (staff) / Ông/Bà vui lòng (citizens)",
    r"[Cc]hưa có gì được lưu": "Không có dữ liệu nào được lưu",
    r"đáp án": "mức / câu trả lời",
    r"bộ câu hỏi": "mẫu phiếu khảo sát",
    r"[Cc]ách ly": "tạm giữ",
    r"vi phạm": "dấu hiệu bất thường",
    r"báo cáo cấp trên": "quá hạn – đã chuyển … theo dõi",
    r"biên nhận": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    r"kỳ đánh giá": "kỳ báo cáo",
    r"mục tiêu": "chỉ tiêu",
    r"ẩn danh": "không ghi tên",
    r"HĐND": "Văn phòng UBND Quận 1",
    r"(?<!Bộ phận )\b[Bb]ộ phận một cửa": "Bộ phận Một cửa",
}
#: A number written the English way: 2,000 (thousands) or 85.3 (decimals); a dossier code
#: (000.00.20.H29-…) is not a number, nor a share in the unit list's syntax (CODE:0.4).
ENGLISH_NUMBER = re.compile(r"(?<![\d.])\d{1,3},\d{3}(?!\d)|(?<![\d.:])\d+\.\d{1,2}(?![\d.])")


def catalogue() -> list[tuple[str, str]]:
    with (ROOT / "translations/vi/LC_MESSAGES/messages.po").open("rb") as f:
        messages = read_po(f, locale="vi")
    result = []
    for message in messages:
        if not message.id:
            continue
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        result += [(msgid, text) for text in texts]
    return result


def questionnaire_texts() -> list[tuple[str, str]]:
    """Every Vietnamese text of the newest version of each questionnaire."""
    newest: dict[str, dict] = {}
    for path in sorted((ROOT / "satisfaction/data/questionnaires").glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw["version"] >= newest.get(raw["code"], {}).get("version", 0):
            newest[raw["code"]] = raw
    texts = []
    for code, raw in newest.items():
        texts += [(f"{code} title", raw["title"]["vi"]), (f"{code} intro", raw["intro"]["vi"])]
        for group in raw["elements"] + raw.get("extras", []):
            texts.append((f"{code} {group['code']}", group["label"]["vi"]))
            texts += [(f"{code} {i['code']}", i["text"]["vi"]) for i in group["items"]]
    return texts


def export_texts() -> list[tuple[str, str]]:
    """The Vietnamese written in code: the exports' headers and labels."""
    tree = ast.parse((ROOT / "satisfaction/reporting/exports.py").read_text(encoding="utf-8"))
    return [(f"exports.py:{node.lineno}", node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


SOURCES = {"catalogue": catalogue, "questionnaires": questionnaire_texts,
           "exports": export_texts}


@pytest.mark.parametrize("where", SOURCES)
def test_no_term_the_glossary_rules_out(where):
    texts = SOURCES[where]()
    found = [f"{source!r}: {text!r} uses «{re.search(term, text).group(0)}», say «{use}»"
             for source, text in texts for term, use in NOT_TERMS.items()
             if re.search(term, text)]
    assert not found, "\n".join(found)


def test_numbers_are_written_the_vietnamese_way():
    found = [f"{source!r}: {text!r}" for source, text in catalogue() + questionnaire_texts()
             if ENGLISH_NUMBER.search(text)]
    assert not found, "\n".join(found)


def test_the_check_itself_catches_what_it_should():
    assert ENGLISH_NUMBER.search("tối đa 2,000 ký tự") and ENGLISH_NUMBER.search("85.3 %")
    assert not ENGLISH_NUMBER.search("tối đa 2.000 ký tự, 85,3 %, mã 000.00.20.H29-221103")
    assert re.search(NOT_TERMS and list(NOT_TERMS)[-1], "nộp tại bộ phận một cửa")
    assert not re.search(list(NOT_TERMS)[-1], "nộp tại Bộ phận Một cửa")
