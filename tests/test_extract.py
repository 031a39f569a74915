"""Every reading rule of the extract contract, on files built in tmp_path, with the real gmina lookup."""

from __future__ import annotations

import gzip

import pytest

from kmzb.ingest import extract as E
from kmzb.ingest.extract import ExtractError, read_extract

from .conftest import BERLIN, GDANSK, WROCLAW, row, write_extract


def test_utf8_semicolon_decimal_comma(tmp_path, geo):
    p = write_extract(tmp_path / "kmzb_20240501.csv", [row(1), row(2, place=GDANSK)])
    assert b"," in p.read_bytes().split(b"\n")[1]  # decimal comma really written
    ex = read_extract(p, geo.lookup)
    assert ex.kind == "delta" and ex.encoding == "utf-8" and ex.delimiter == ";"
    assert list(ex.good["gmina"]) == ["1261011", "2261011"]
    assert list(ex.good["category"]) == ["przekraczanie-dozwolonej-predkosci"] * 2
    assert ex.rejects.empty and ex.warnings == []


def test_utf8_bom(tmp_path, geo):
    p = write_extract(tmp_path / "kmzb_20240501.csv", [row(1, typ="Spożywanie alkoholu w miejscach niedozwolonych")], bom=True)
    ex = read_extract(p, geo.lookup)
    assert ex.encoding == "utf-8-sig"
    assert ex.good["category"].tolist() == ["spozywanie-alkoholu-w-miejscach-niedozwolonych"]


def test_windows_1250_fallback_is_reported(tmp_path, geo):
    p = write_extract(tmp_path / "kmzb_20240501.csv",
                      [row(1, typ="Żebractwo", opis="Zażółć gęślą jaźń"), row(2, typ="Wałęsające się bezpańskie psy")],
                      encoding="cp1250")
    with pytest.raises(UnicodeDecodeError):
        p.read_bytes().decode("utf-8")
    ex = read_extract(p, geo.lookup)
    assert ex.encoding == "cp1250"
    assert any("Windows-1250" in w for w in ex.warnings)
    assert ex.good["category"].tolist() == ["zebractwo", "walesajace-sie-bezpanskie-psy"]
    assert ex.good["opis"][0] == "Zażółć gęślą jaźń"


def test_comma_delimiter_with_quoted_description(tmp_path, geo):
    rows = [row(1, opis='He said "stop", then; left\nsecond line'), row(2, place=WROCLAW)]
    p = write_extract(tmp_path / "kmzb_20240501.csv", rows, delimiter=",")
    ex = read_extract(p, geo.lookup)
    assert ex.delimiter == ","
    assert ex.good["opis"][0] == 'He said "stop", then; left\nsecond line'
    assert ex.good["gmina"].tolist() == ["1261011", "0264011"]


def test_gzip_and_full_snapshot_name(tmp_path, geo):
    p = write_extract(tmp_path / "kmzb_full_20240501.csv.gz", [row(1), row(2)])
    assert p.read_bytes()[:2] == b"\x1f\x8b"
    ex = read_extract(p, geo.lookup)
    assert ex.kind == "full" and len(ex.good) == 2


def test_column_order_free_and_extra_column_warned(tmp_path, geo):
    header = ["Status", "Typ", "OBJECTID", "Y", "X", "Data_modyfikacji", "Data_utworzenia", "Wersja"]
    p = write_extract(tmp_path / "kmzb_20240501.csv", [{**row(7), "Wersja": "3"}], header=header)
    ex = read_extract(p, geo.lookup)
    assert ex.good["objectid"].tolist() == [7]
    assert ex.good["gmina"].tolist() == ["1261011"]
    assert any("Wersja" in w for w in ex.warnings)


def test_labels_matched_ignoring_case_and_spaces_or_code(tmp_path, geo):
    rows = [row(1, typ="  przekraczanie DOZWOLONEJ prędkości ", status=" potwierdzone (WYELIMINOWANE)"),
            row(2, typ="nieprawidlowe-parkowanie", status="zart-lub-pomylka")]
    ex = read_extract(write_extract(tmp_path / "kmzb_20240501.csv", rows), geo.lookup)
    assert ex.good["category"].tolist() == ["przekraczanie-dozwolonej-predkosci", "nieprawidlowe-parkowanie"]
    assert ex.good["status"].tolist() == ["potwierdzone-wyeliminowane", "zart-lub-pomylka"]


def test_iso_datetimes_with_offset_become_warsaw_local(tmp_path, geo):
    rows = [row(1, created="2024-07-01T08:00:00+00:00", modified="2024-07-01T12:30:00+02:00"),
            row(2, created="2024-01-15T23:30:00Z", modified="2024-01-16 09:00:00")]
    ex = read_extract(write_extract(tmp_path / "kmzb_20240501.csv", rows), geo.lookup)
    assert str(ex.good["created_at"][0]) == "2024-07-01 10:00:00"  # CEST
    assert str(ex.good["modified_at"][0]) == "2024-07-01 12:30:00"
    assert str(ex.good["created_at"][1]) == "2024-01-16 00:30:00"  # CET: next local day


def test_each_kind_of_bad_row_is_rejected_with_line_and_reason(tmp_path, geo):
    rows = [
        row(1),                                                     # line 2 good
        row("", ),                                                  # 3 missing OBJECTID
        row("12a"),                                                 # 4 invalid OBJECTID
        row(4, typ="Latające talerze"),                             # 5 unknown category
        row(5, status="Zamknięte"),                                 # 6 unknown status
        row(6, created="wczoraj"),                                  # 7 unparseable created
        row(7, modified="2024-04-30 10:00:00"),                     # 8 modified before created
        row(8, place=BERLIN),                                       # 9 outside Poland (in the box)
        {**row(9), "X": ""},                                        # 10 missing X
        {**row(10), "X": "100000", "Y": "950000"},                  # 11 far outside
        row(11, opis="first"),                                      # 12 same Data_modyfikacji, different content
        row(11, opis="second"),                                     # 13
        row(12, opis="same"),                                       # 14 exact duplicate -> one kept
        row(12, opis="same"),                                       # 15
        row(13, source="telefon"),                                  # 16 unknown channel
        row(14, modified=""),                                       # 17 missing modified
        row(15, typ=""),                                            # 18 missing Typ
    ]
    ex = read_extract(write_extract(tmp_path / "kmzb_20240501.csv", rows), geo.lookup)
    got = dict(zip(ex.rejects["line"].tolist(), ex.rejects["reason"].tolist()))
    assert got == {
        3: E.R_OBJECTID_MISSING, 4: E.R_OBJECTID_BAD, 5: E.R_TYP_UNKNOWN, 6: E.R_STATUS_UNKNOWN,
        7: E.R_CREATED, 8: E.R_ORDER, 9: E.R_OUTSIDE, 10: E.R_XY, 11: E.R_OUTSIDE,
        12: E.R_CONFLICT, 13: E.R_CONFLICT, 16: E.R_SOURCE, 17: E.R_MODIFIED, 18: E.R_TYP_MISSING,
    }
    assert sorted(ex.good["objectid"].tolist()) == [1, 12]
    assert ex.duplicates == 1
    assert ex.rows == 17
    # rejects keep the original fields, so nothing is lost
    bad = ex.rejects.set_index("line")
    assert bad.loc[5, "Typ"] == "Latające talerze"
    assert "Latające talerze" in bad.loc[5, "detail"]
    assert ex.reasons[E.R_CONFLICT] == 2


def test_rows_of_one_report_at_different_times_are_its_history_not_duplicates(tmp_path, geo):
    """A delta holds one row per status change: created 08:10, verified 15:40 -> both rows good."""
    t1, t2, t3 = "2024-05-01 08:10:00", "2024-05-01 15:40:00", "2024-05-01 18:00:00"
    rows = [
        row(1, status="Niepotwierdzone", created=t1, modified=t2, opis="po weryfikacji"),  # 2
        row(2, created=t1),                                                               # 3
        row(1, status="Nowe", created=t1, opis="zgłoszenie"),                             # 4
        row(1, status="Niepotwierdzone", created=t1, modified=t2, opis="po weryfikacji"),  # 5 identical to 2
        row(2, status="Weryfikacja", created=t1, modified=t3),                            # 6
        row(2, status="Potwierdzone", created=t1, modified=t3),                           # 7 conflicts with 6
    ]
    ex = read_extract(write_extract(tmp_path / "kmzb_20240502.csv", rows), geo.lookup)
    assert ex.rejects["line"].tolist() == [6, 7] and set(ex.rejects["reason"]) == {E.R_CONFLICT}
    assert "lines 6, 7" in ex.rejects["detail"][0] and "2024-05-01 18:00:00" in ex.rejects["detail"][0]
    assert ex.duplicates == 1
    got = sorted(zip(ex.good["objectid"], ex.good["status"], ex.good["modified_at"].astype(str), ex.good["line"]))
    assert got == [(1, "niepotwierdzone", t2, 2), (1, "nowe", t1, 4), (2, "nowe", t1, 3)]
    assert ex.rows == len(ex.good) + len(ex.rejects) + ex.duplicates


def test_line_numbers_count_physical_lines_with_multiline_descriptions(tmp_path, geo):
    rows = [row(1, opis="a\nb\nc"), row(2, typ="nic takiego"), row(3, opis='x "y"\nz'), row(4, status="?")]
    ex = read_extract(write_extract(tmp_path / "kmzb_20240501.csv", rows), geo.lookup)
    assert ex.rejects["line"].tolist() == [5, 8]


def test_wrong_number_of_fields_is_a_bad_row_not_a_bad_file(tmp_path, geo):
    p = write_extract(tmp_path / "kmzb_20240501.csv", [row(1), row(2)])
    text = p.read_text(encoding="utf-8") + "3;Wypalanie traw;Nowe\r\n"
    p.write_text(text, encoding="utf-8")
    ex = read_extract(p, geo.lookup)
    assert ex.good["objectid"].tolist() == [1, 2]
    assert ex.rejects[["line", "reason"]].values.tolist() == [[4, E.R_FIELDS]]


def test_teryt_mismatch_point_wins(tmp_path, geo):
    rows = [row(1, teryt="1465011"), row(2), row(3, teryt="")]
    ex = read_extract(write_extract(tmp_path / "kmzb_20240501.csv", rows), geo.lookup)
    assert ex.good["gmina"].tolist() == ["1261011"] * 3
    assert ex.good["mismatch"].tolist() == [True, False, False]
    assert ex.mismatches == 1


@pytest.mark.parametrize("content, problem", [
    (b"", "empty"),
    (b"OBJECTID;Typ;Status;Data_utworzenia;X;Y\n1;a;b;c;1;2\n", "missing required column(s): Data_modyfikacji"),
    (b"OBJECTID;Typ;Typ;Status\n", "duplicate column"),
])
def test_bad_files_raise_with_a_clear_message(tmp_path, geo, content, problem):
    p = tmp_path / "kmzb_20240501.csv"
    p.write_bytes(content)
    with pytest.raises(ExtractError) as e:
        read_extract(p, geo.lookup)
    assert problem in str(e.value) and p.name in str(e.value)


def test_corrupt_gzip_and_bad_names(tmp_path, geo):
    p = tmp_path / "kmzb_20240501.csv.gz"
    p.write_bytes(gzip.compress(b"OBJECTID;Typ\n" * 100)[:40])
    with pytest.raises(ExtractError, match="gzip"):
        read_extract(p, geo.lookup)
    q = tmp_path / "report.csv"
    q.write_text("x")
    with pytest.raises(ExtractError, match="file name"):
        read_extract(q, geo.lookup)


def test_undecodable_file(tmp_path, geo):
    p = tmp_path / "kmzb_20240501.csv"
    p.write_bytes(b"OBJECTID;Typ\n1;\x98\xff\n")
    with pytest.raises(ExtractError, match="neither valid UTF-8 nor Windows-1250"):
        read_extract(p, geo.lookup)


def test_blank_lines_are_skipped_but_a_row_of_empty_fields_is_rejected(tmp_path, geo):
    p = write_extract(tmp_path / "kmzb_20240501.csv", [row(1), row(2)])
    head, *body = p.read_bytes().decode("utf-8").splitlines()
    n = head.count(";") + 1
    p.write_bytes("\r\n".join([head, body[0], "", ";" * (n - 1), body[1], ""]).encode("utf-8"))
    ex = read_extract(p, geo.lookup)
    assert ex.good["objectid"].tolist() == [1, 2]
    assert ex.rejects[["line", "reason"]].values.tolist() == [[4, E.R_EMPTY]]
    assert ex.rows == 3  # the blank line is not a record; the empty one is, and is accounted for


def _tricky_rows():
    """Multi-line descriptions, bad rows, an exact repeat and a conflict far apart, history rows."""
    rows = []
    for i in range(1, 121):
        opis = f'opis {i}; "cytat"\nlinia dwa\n' if i % 7 == 0 else ("" if i % 3 else f"opis {i}")
        rows.append(row(i, opis=opis, typ="Nic takiego" if i % 31 == 0 else "Przekraczanie dozwolonej prędkości"))
    rows += [row(5, opis="inna treść"),                                         # conflicts with row 5 above
             row(8, opis=""), row(9, opis="opis 9"),                            # exact repeats of 8 and 9
             row(10, status="Weryfikacja", modified="2024-05-02 09:00:00")]  # history of 10
    return rows


def _same(a, b):
    assert a.rows == b.rows and a.encoding == b.encoding and a.duplicates == b.duplicates
    assert a.superseded == b.superseded and a.mismatches == b.mismatches and a.warnings == b.warnings
    assert a.table.equals(b.table)
    assert a.rejects.astype(str).equals(b.rejects.astype(str))


@pytest.mark.parametrize("chunk_bytes", [1, 300, 4096])
def test_small_chunks_read_exactly_as_one_chunk(tmp_path, geo, chunk_bytes):
    """The reader streams the file in chunks of whole records: any chunk size gives the same result."""
    p = write_extract(tmp_path / "kmzb_20240501.csv", _tricky_rows())
    with p.open("ab") as f:  # a blank line and a row with too few fields near the end
        f.write(b"\r\n200;Wypalanie traw;Nowe\r\n")
    whole = read_extract(p, geo.lookup, chunk_bytes=E.WHOLE_FILE)
    assert whole.reasons == {E.R_CONFLICT: 2, E.R_TYP_UNKNOWN: 3, E.R_FIELDS: 1}
    assert whole.duplicates == 2 and whole.superseded == 1
    _same(read_extract(p, geo.lookup, chunk_bytes=chunk_bytes), whole)


def test_windows_1250_found_late_in_a_chunked_file(tmp_path, geo):
    """The invalid UTF-8 is in a late chunk: the whole file is read again as Windows-1250."""
    rows = [row(i) for i in range(1, 60)] + [row(60, typ="Żebractwo", opis="Zażółć gęślą jaźń")]
    p = write_extract(tmp_path / "kmzb_20240501.csv", rows, encoding="cp1250")
    ex = read_extract(p, geo.lookup, chunk_bytes=512)
    _same(ex, read_extract(p, geo.lookup, chunk_bytes=E.WHOLE_FILE))
    assert ex.encoding == "cp1250" and ex.good["opis"].iloc[-1] == "Zażółć gęślą jaźń" and len(ex.good) == 60


def test_progress_reports_bytes_and_rows(tmp_path, geo):
    p = write_extract(tmp_path / "kmzb_20240501.csv.gz", [row(i) for i in range(1, 200)])
    seen = []
    read_extract(p, geo.lookup, chunk_bytes=1024, progress=lambda done, rows: seen.append((done, rows)))
    assert len(seen) > 1 and seen == sorted(seen)
    assert seen[-1] == (p.stat().st_size, 199)
