"""Thai calendar, numbers and baht text, with the edges that trip spreadsheets."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from rules import ParseError, baht_text, fiscal_year, parse_date, parse_number, round_of, thai_digits


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2024, 9, 30), 2567),  # last day of FY 2567
        (dt.date(2024, 10, 1), 2568),  # 1 ต.ค. 2567 starts FY 2568
        (dt.date(2025, 1, 1), 2568),  # calendar year changes, fiscal year does not
        (dt.date(2026, 10, 1), 2570),  # FY 2570 began on 1 Oct 2026
        (dt.date(2026, 11, 24), 2570),
        (dt.date(2027, 9, 30), 2570),
        (dt.datetime(2024, 10, 1, 0, 0), 2568),
        ("30 ก.ย. 2567", 2567),
        ("1 ตุลาคม 2567", 2568),
        ("๒๔/๑๑/๖๙", 2570),
        ("2026-11-24", 2570),
    ],
)
def test_fiscal_year_starts_on_1_october_and_is_named_by_its_be_end_year(day, expected):
    assert fiscal_year(day) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24 พ.ย. 2569", dt.date(2026, 11, 24)),
        ("24 พฤศจิกายน 2569", dt.date(2026, 11, 24)),
        ("วันที่ ๒๔ พฤศจิกายน พ.ศ. ๒๕๖๙", dt.date(2026, 11, 24)),
        ("24 พย 69", dt.date(2026, 11, 24)),
        ("24/11/2569", dt.date(2026, 11, 24)),
        ("24-11-2026", dt.date(2026, 11, 24)),
        ("24.11.69", dt.date(2026, 11, 24)),
        ("24/11/26 ค.ศ.", dt.date(2026, 11, 24)),
        ("2569-11-24", dt.date(2026, 11, 24)),
        ("2026-11-24", dt.date(2026, 11, 24)),
        ("29 ก.พ. 2567", dt.date(2024, 2, 29)),  # BE 2567 = CE 2024, a leap year
    ],
)
def test_parse_date_reads_thai_forms(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["29 ก.พ. 2568", "32/1/2569", "พรุ่งนี้", "24 Foo 2569", ""])
def test_parse_date_refuses_what_is_not_a_date(text):
    with pytest.raises(ParseError) as info:
        parse_date(text)
    assert "วันที่" in info.value.message_th


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234", Decimal("1234")),
        ("๑,๒๓๔.๕๐", Decimal("1234.50")),
        (" 1 234 บาท ", Decimal("1234")),
        ("(500)", Decimal("-500")),
        ("(๑,๒๓๔.๕๐ บาท)", Decimal("-1234.50")),
        ("฿12.5", Decimal("12.5")),
        ("-7", Decimal("-7")),
        ("\u22127", Decimal("-7")),  # Unicode minus sign
        ("0.25", Decimal("0.25")),
        (".5", Decimal("0.5")),
        ("1\u00a0000", Decimal("1000")),
        ("1,234,567.50", Decimal("1234567.50")),
        ("11 คน", Decimal("11")),
        ("2 ห้อง", Decimal("2")),
        ("-", Decimal("0")),  # nil, as offices write it
        ("\u2013", Decimal("0")),
    ],
)
def test_parse_number_reads_thai_money_text(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["12,5", "1,23", "1.234,5", "1,2345", "12 5", "๑๒,๕"])
def test_separators_that_do_not_group_thousands_are_refused_with_what_to_type(text):
    """'12,5' is 12.5 to one reader and 125 to another: never guessed."""
    with pytest.raises(ParseError) as info:
        parse_number(text, what="ชาย (คน)")
    assert "จุลภาคต้องคั่นทุกสามหลัก" in info.value.message_th and "พิมพ์ตัวเลขใหม่" in info.value.message_th


@pytest.mark.parametrize("text", ["", "สิบ", "1,2a", "1.2.3", "--5", "(5"])
def test_parse_number_names_the_input_when_it_is_not_a_number(text):
    with pytest.raises(ParseError) as info:
        parse_number(text, what="เซลล์ C5")
    assert info.value.message_th.startswith("เซลล์ C5")


def test_thai_digits():
    assert thai_digits(2570) == "๒๕๗๐"
    assert thai_digits("ร้อยละ 80") == "ร้อยละ ๘๐"
    assert thai_digits(12.0) == "๑๒"
    assert thai_digits(Decimal("1234.50")) == "๑๒๓๔.๕๐"


@pytest.mark.parametrize(
    ("day", "months", "ends"),
    [
        (dt.date(2026, 10, 1), 6, dt.date(2027, 3, 31)),
        (dt.date(2027, 3, 31), 6, dt.date(2027, 3, 31)),
        (dt.date(2027, 4, 1), 9, dt.date(2027, 6, 30)),
        (dt.date(2027, 7, 1), 12, dt.date(2027, 9, 30)),
        (dt.date(2027, 9, 30), 12, dt.date(2027, 9, 30)),
    ],
)
def test_round_of_gives_the_6_9_12_month_round(day, months, ends):
    result = round_of(day)
    assert (result.fiscal_year, result.months, result.ends) == (2570, months, ends)


# Outputs printed in Microsoft's and Google's BAHTTEXT documentation, and cases where the spreadsheets
# and official writing agree (the comparison with LibreOffice's BAHTTEXT runs in test_bahttext_libreoffice).
@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (1234, "หนึ่งพันสองร้อยสามสิบสี่บาทถ้วน"),
        (120, "หนึ่งร้อยยี่สิบบาทถ้วน"),
        (0.75, "เจ็ดสิบห้าสตางค์"),
        (120.75, "หนึ่งร้อยยี่สิบบาทเจ็ดสิบห้าสตางค์"),
        (0, "ศูนย์บาทถ้วน"),
        (11, "สิบเอ็ดบาทถ้วน"),
        (21, "ยี่สิบเอ็ดบาทถ้วน"),
        (111, "หนึ่งร้อยสิบเอ็ดบาทถ้วน"),
        (1_000_000, "หนึ่งล้านบาทถ้วน"),
        (21_000_000, "ยี่สิบเอ็ดล้านบาทถ้วน"),
        (1_000_000_000_000, "หนึ่งล้านล้านบาทถ้วน"),
        (Decimal("0.01"), "หนึ่งสตางค์"),
        (Decimal("21.21"), "ยี่สิบเอ็ดบาทยี่สิบเอ็ดสตางค์"),
        (-5, "ลบห้าบาทถ้วน"),
        ("1,234.50 บาท", "หนึ่งพันสองร้อยสามสิบสี่บาทห้าสิบสตางค์"),
        (Decimal("0.995"), "หนึ่งบาทถ้วน"),  # rounds half up to the satang first
    ],
)
def test_baht_text_matches_excel_bahttext(amount, text):
    assert baht_text(amount) == text


# Official writing: a final 1 after any higher digit reads เอ็ด. Sources:
# ORST = Royal Institute, "อ่านอย่างไร และ เขียนอย่างไร", 16th printing (Feb 2546), p. 67, quoted at
#        http://legacy.orst.go.th/?page_id=10323 (11, 21, 101, 1001, 2501);
# ORST-Q = the Royal Society's answer "หนึ่ง หรือ เอ็ด", quoted at inspiredlanguages.com (19 Dec 2017), with
#        ๕๐๑,๗๔๑,๒๒๑ read ห้า-ร้อย-เอ็ด-ล้าน-เจ็ด-แสน-สี่-หมื่น-หนึ่ง-พัน-สอง-ร้อย-ยี่-สิบ-เอ็ด;
# issue 15 = the office's own cases (1,000,001 หนึ่งล้านเอ็ดบาทถ้วน), the same rule applied across ล้าน.
# LibreOffice's BAHTTEXT writes หนึ่ง in these places, so it is not the oracle for them.
@pytest.mark.parametrize(
    ("amount", "text", "source"),
    [
        (101, "หนึ่งร้อยเอ็ดบาทถ้วน", "ORST"),
        (1001, "หนึ่งพันเอ็ดบาทถ้วน", "ORST"),
        (2501, "สองพันห้าร้อยเอ็ดบาทถ้วน", "ORST"),
        (501_741_221, "ห้าร้อยเอ็ดล้านเจ็ดแสนสี่หมื่นหนึ่งพันสองร้อยยี่สิบเอ็ดบาทถ้วน", "ORST-Q"),
        (1_000_001, "หนึ่งล้านเอ็ดบาทถ้วน", "issue 15"),
        (Decimal("101.01"), "หนึ่งร้อยเอ็ดบาทหนึ่งสตางค์", "ORST: satang are their own number, one is หนึ่ง"),
    ],
)
def test_baht_text_reads_a_final_one_as_et_as_official_writing_does(amount, text, source):
    assert baht_text(amount) == text, source


def test_a_date_cell_sent_as_a_utc_instant_is_the_day_the_sheet_showed():
    """Apps Script sends a date cell of a sheet in Bangkok as the UTC instant of its midnight: 1 October
    2025 arrives as 2025-09-30T17:00:00.000Z and must read as 1 October, the first day of FY2569."""
    import datetime as dt

    from addin import call
    from rules.thai import parse_date

    assert parse_date("2025-09-30T17:00:00.000Z") == dt.date(2025, 10, 1)
    assert parse_date("2025-10-01T00:00:00+07:00") == dt.date(2025, 10, 1)
    assert parse_date("2025-10-01T08:30:00") == dt.date(2025, 10, 1)  # no zone: the date as written
    assert call("ESA_FISCAL_YEAR", ["2025-09-30T17:00:00.000Z"]) == 2569
    assert call("ESA_FISCAL_YEAR", ["2025-09-29T17:00:00.000Z"]) == 2568


def test_a_date_cell_xlwings_lite_sends_as_python_writes_a_datetime_is_that_day():
    """Lite's main.py sends arguments with ``json.dumps(default=str)``: a date cell read as a datetime
    arrives as ``2024-10-01 00:00:00``, which was refused as no date."""
    import asyncio
    import datetime as dt

    from addin import call
    from tests.fake_xlwings import lite_namespace

    assert call("ESA_FISCAL_YEAR", [str(dt.datetime(2024, 10, 1))]) == 2568
    assert call("ESA_FISCAL_YEAR", ["2024-09-30 23:59:59"]) == 2567
    sent: list[str] = []
    lite = lite_namespace("http://127.0.0.1:9", "t")  # nothing listens: what Lite would send is what matters
    lite["_call"].__globals__["pyfetch"] = lambda url, method, headers, body=None: sent.append(body) or 1 / 0
    try:
        asyncio.run(lite["ESA_FISCAL_YEAR"](dt.datetime(2024, 10, 1)))
    except ValueError:
        pass
    assert sent == ['{"args": ["2024-10-01 00:00:00"]}']
