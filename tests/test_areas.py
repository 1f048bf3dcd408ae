"""An office over several service areas: areas.csv, one queued job per area, the tidy data of every
area in Parquet, and the summary across areas, each figure recomputed here from the areas'
own masters (read with openpyxl) rather than trusted."""

from __future__ import annotations

import shutil
import zipfile
from collections import Counter
from pathlib import Path

import duckdb
from click.testing import CliRunner
from openpyxl import load_workbook

from sync.cli import main
from sync.office.registry import load_registry
from sync.office.settings import load_settings


def _rows(path: Path, sheet: str) -> list[tuple]:
    book = load_workbook(path, read_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    book.close()
    return rows


def _province(demo: Path, tmp_path: Path) -> Path:
    """Three areas from the 40-school demo: as it is, new with a third of the schools' files gone,
    and with every file sent again; and the office's areas.csv naming them (one by an absolute path)."""
    office = tmp_path / "ศธจ"
    office.mkdir()
    homes = {}
    for code in ("A1", "A2", "A3"):
        homes[code] = tmp_path / "areas" / code
        shutil.copytree(demo, homes[code])
    for kept in ("ledger.sqlite", "store", "master"):  # A2 starts afresh, with a third of the schools' files gone
        path = homes["A2"] / kept
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    for folder in sorted(p for p in (homes["A2"] / "inbox").iterdir() if p.is_dir())[::3]:
        shutil.rmtree(folder)
    typed = next(
        path
        for path in sorted((homes["A2"] / "inbox").rglob("*.xlsx"))
        if "ข้อมูลนักเรียน" in load_workbook(path, read_only=True).sheetnames
    )
    book = load_workbook(typed)
    book["ข้อมูลนักเรียน"]["C4"] = "สิบสอง"  # a count in words: that row is left out, and the area's column holds text
    book.save(typed)
    for path in sorted((homes["A3"] / "inbox").rglob("*.xlsx")):
        with zipfile.ZipFile(path, "a") as archive:
            archive.comment = b"sent again"
    (office / "areas.csv").write_text(
        "code,name_th,province,home\n"
        "A1,สพป.ทดลอง เขต 1,ขอนแก่น,../areas/A1\n"
        "A2,สพป.ทดลอง เขต 2,ขอนแก่น,../areas/A2\n"
        f"A3,สพป.ทดลอง เขต 3,ขอนแก่น,{homes['A3']}\n",
        encoding="utf-8",
    )
    return office


def test_all_areas_are_consolidated_and_summed_across(demo_area, tmp_path):
    demo, _ = demo_area
    office = _province(demo, tmp_path)
    settings = load_settings(demo)
    result = CliRunner().invoke(
        main,
        [
            "consolidate",
            "--all-areas",
            "--home",
            str(office),
            "--fy",
            str(settings.fiscal_year),
            "--round",
            str(settings.round),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "สำเร็จ 3 เขต ไม่สำเร็จ 0 เขต" in result.output
    summary = Path(result.output.strip().splitlines()[-1])

    expected: dict[str, tuple[int, int, int]] = {}
    enrolment_rows = 0
    for code in ("A1", "A2", "A3"):
        area = load_settings(tmp_path / "areas" / code, fiscal_year=settings.fiscal_year, round=settings.round)
        header, *rows = _rows(area.master_path(), "ข้อมูลนักเรียน")
        at = {name: header.index(name) for name in ("ชาย (คน)", "หญิง (คน)", "ห้องเรียน", "นำไปรวม")}
        counted = [r for r in rows if r[at["นำไปรวม"]] == "ใช่"]
        pupils = sum((r[at["ชาย (คน)"]] or 0) + (r[at["หญิง (คน)"]] or 0) for r in counted)
        rooms = sum(r[at["ห้องเรียน"]] or 0 for r in counted)
        expected[code] = (len(load_registry(area.registry_path)), int(pupils), int(rooms))
        enrolment_rows += len(rows)
    assert expected["A2"][1] < expected["A1"][1] == expected["A3"][1], "the areas differ where they were made to"

    header, *lines = _rows(summary, "รายเขต")
    at = {name: header.index(name) for name in ("รหัสเขต", "หน่วยทั้งหมด", "นักเรียน (คน)", "ห้องเรียน")}
    by_area = {
        line[at["รหัสเขต"]]: (line[at["หน่วยทั้งหมด"]], line[at["นักเรียน (คน)"]], line[at["ห้องเรียน"]])
        for line in lines
        if line[0] != "รวม"
    }
    assert by_area == expected
    total = next(line for line in lines if line[0] == "รวม")
    assert (total[at["หน่วยทั้งหมด"]], total[at["นักเรียน (คน)"]]) == (
        sum(e[0] for e in expected.values()),
        sum(e[1] for e in expected.values()),
    )
    sizes = [line for line in _rows(summary, "รายขนาดโรงเรียน")[1:] if line[0] != "รวม"]
    assert sum(line[1] for line in sizes) == total[at["หน่วยทั้งหมด"]]

    national = office / "national" / f"FY{settings.fiscal_year}-R{settings.round}"
    with duckdb.connect() as db:
        count, areas = db.execute(
            f"SELECT count(*), count(DISTINCT \"รหัสเขต\") FROM read_parquet('{national / 'ข้อมูลนักเรียน.parquet'}')"
        ).fetchone()
        statuses = Counter(
            dict(
                db.execute(
                    f"SELECT \"รหัสเขต\", count(*) FROM read_parquet('{national / 'สถานะการส่ง.parquet'}') GROUP BY ALL"
                ).fetchall()
            )
        )
    assert count == enrolment_rows and areas == 3
    with duckdb.connect() as db:
        types = dict(
            db.execute(
                f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{national / 'ข้อมูลนักเรียน.parquet'}'))"
            ).fetchall()
        )
        money = dict(
            db.execute(
                f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet('{national / 'การใช้งบประมาณ.parquet'}'))"
            ).fetchall()
        )
    assert types["ชาย (คน)"] == types["หญิง (คน)"] == types["รวม (คน)"] == "BIGINT", (
        "typed by the form, whatever one school typed"
    )
    assert money["ได้รับจัดสรร (บาท)"] == money["คงเหลือ (บาท)"] == "DECIMAL(18,2)"

    # Run again with nothing changed: an area's tidy files are kept; once one is as an older esaplan wrote it, they are made again.
    import pyarrow.parquet as pq

    tidy = tmp_path / "areas" / "A1" / "master" / "tidy" / f"FY{settings.fiscal_year}-R{settings.round}"
    files = sorted(tidy.glob("*.parquet"))
    stamps = [path.stat().st_mtime_ns for path in files]
    command = [
        "consolidate",
        "--all-areas",
        "--home",
        str(office),
        "--fy",
        str(settings.fiscal_year),
        "--round",
        str(settings.round),
    ]
    assert CliRunner().invoke(main, command).exit_code == 0
    assert [path.stat().st_mtime_ns for path in files] == stamps, "nothing changed: kept as they were"
    pq.write_table(pq.read_table(files[0]).replace_schema_metadata({}), files[0])
    assert CliRunner().invoke(main, command).exit_code == 0
    assert all(pq.read_schema(path).metadata for path in files) and files[1].stat().st_mtime_ns != stamps[1], (
        "an older esaplan's files are made again"
    )
    assert statuses == Counter({code: e[0] for code, e in expected.items()})
