"""Deterministic demo extracts that look like real KMZB data (see shared/spec/nightly-extract.md).

`generate(out_dir, geo_dir=..., end=...)` writes one full snapshot and a run of nightly deltas,
exercising the contract's format variants (BOM, Windows-1250, `,` delimiter, gzip, shuffled and
extra columns, ISO 8601 datetimes with offset) and, optionally, a few bad rows of every kind.
`generate_details(...)` does the same and also says what went into each file (bad rows with their
line numbers, TERYT mismatches), for tests. `write_full_snapshot(...)` writes one big snapshot
(and optionally one delta) for benchmarks.

Everything is vectorised numpy and seeded: the same arguments give byte-identical files.

The volumes are calibrated to the police's published figures: about 1,200 reports a day
(0.40-0.46 million a year), speeding 29.7 % of all reports (58 % confirmed), illegal parking
23.5 % (50 %), road infrastructure 5.9 % (55 %), alcohol about 9 % (38 %), about half of all
resolved reports confirmed, about 80 % of confirmed threats eliminated. Points are drawn inside
gminas in proportion to the GUS population, with małopolskie and śląskie leading per inhabitant,
and about 30 % of reports at recurring hot spots. Opis texts are synthetic; the few phone
numbers, first names and e-mail addresses in them are made up (example.com).
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from kmzb import reference

__all__ = [
    "BAD_ROW_KINDS", "COLUMNS", "BadRow", "ExtractInfo", "DemoSet",
    "generate", "generate_details", "write_full_snapshot",
]

COLUMNS = (
    "OBJECTID", "Typ", "Status", "Data_utworzenia", "Data_modyfikacji", "Data_zdarzenia",
    "Dni_tygodnia", "Pora_dnia", "X", "Y", "TERYT", "Jednostka", "Zrodlo", "Opis",
)

#: kinds of deliberately broken rows put into each delta (2-6 per delta, all kinds over >= 2 deltas).
#: "duplicate_objectid" adds two rows sharing one OBJECTID with different content.
BAD_ROW_KINDS = (
    "missing_objectid",
    "nonnumeric_objectid",
    "unknown_typ",
    "unknown_status",
    "unparseable_date",
    "modified_before_created",
    "outside_poland",
    "empty_x",
    "duplicate_objectid",
)

FIRST_OBJECTID = 100_001
GHOST_OBJECTID = 99_000_000  # bad rows use ids from here on: never those of real reports
TZ = "Europe/Warsaw"

# ----------------------------------------------------------------------------- volumes

BASE_PER_DAY = 1200.0  # national reports a day at GROWTH_REF (before scale)
GROWTH_PER_YEAR = 0.03
GROWTH_REF = date(2025, 1, 1)
# month factors (normalised to a day-weighted mean of 1 below): summer ~14 % above average
_MONTH_VOLUME = np.array([0.87, 0.86, 0.94, 1.00, 1.07, 1.12, 1.14, 1.11, 1.02, 0.95, 0.88, 0.84])
_WEEKDAY_VOLUME = np.array([1.06, 1.04, 1.03, 1.01, 0.98, 0.92, 0.96])  # Mon..Sun
_HOLIDAYS = {(12, 24): 0.6, (12, 25): 0.55, (12, 26): 0.7, (1, 1): 0.7, (11, 1): 0.8}
# hour of filing (local time)
_HOUR_W = np.array([1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.8, 4.8, 5.4, 5.6,
                    5.6, 5.5, 5.5, 5.6, 5.8, 6.0, 6.2, 6.4, 6.6, 6.2, 4.6, 2.6])

# ----------------------------------------------------------------------------- geography

# reports per inhabitant relative to the country, by voivodeship (małopolskie, śląskie lead)
VOIVODESHIP_FACTOR = {
    "02": 1.05, "04": 0.95, "06": 0.85, "08": 0.95, "10": 1.00, "12": 1.35, "14": 1.05, "16": 0.90,
    "18": 0.85, "20": 0.80, "22": 1.10, "24": 1.30, "26": 0.85, "28": 0.90, "30": 1.00, "32": 1.00,
}
_GMINA_TYPE_FACTOR = {"1": 1.15, "2": 0.85, "3": 1.00}  # urban / rural / urban-rural, per inhabitant
HOT_SPOT_SHARE = 0.30
HOT_SPOT_RADIUS = 150.0
_HOT_MIN_POP = 12_000
_INNER = 5.0  # points stay this far inside the (simplified) gmina border

_CITY_LOCATIVE = {
    "0261": "Jeleniej Górze", "0262": "Legnicy", "0264": "Wrocławiu", "0265": "Wałbrzychu",
    "0461": "Bydgoszczy", "0462": "Grudziądzu", "0463": "Toruniu", "0464": "Włocławku",
    "0661": "Białej Podlaskiej", "0662": "Chełmie", "0663": "Lublinie", "0664": "Zamościu",
    "0861": "Gorzowie Wielkopolskim", "0862": "Zielonej Górze", "1061": "Łodzi",
    "1062": "Piotrkowie Trybunalskim", "1063": "Skierniewicach", "1261": "Krakowie",
    "1262": "Nowym Sączu", "1263": "Tarnowie", "1461": "Ostrołęce", "1462": "Płocku",
    "1463": "Radomiu", "1464": "Siedlcach", "1465": "Warszawie", "1661": "Opolu", "1861": "Krośnie",
    "1862": "Przemyślu", "1863": "Rzeszowie", "1864": "Tarnobrzegu", "2061": "Białymstoku",
    "2062": "Łomży", "2063": "Suwałkach", "2261": "Gdańsku", "2262": "Gdyni", "2263": "Słupsku",
    "2264": "Sopocie", "2461": "Bielsku-Białej", "2462": "Bytomiu", "2463": "Chorzowie",
    "2464": "Częstochowie", "2465": "Dąbrowie Górniczej", "2466": "Gliwicach",
    "2467": "Jastrzębiu-Zdroju", "2468": "Jaworznie", "2469": "Katowicach", "2470": "Mysłowicach",
    "2471": "Piekarach Śląskich", "2472": "Rudzie Śląskiej", "2473": "Rybniku",
    "2474": "Siemianowicach Śląskich", "2475": "Sosnowcu", "2476": "Świętochłowicach",
    "2477": "Tychach", "2478": "Zabrzu", "2479": "Żorach", "2661": "Kielcach", "2861": "Elblągu",
    "2862": "Olsztynie", "3061": "Kaliszu", "3062": "Koninie", "3063": "Lesznie", "3064": "Poznaniu",
    "3261": "Koszalinie", "3262": "Szczecinie", "3263": "Świnoujściu",
}
# land powiats whose adjective occurs twice in Poland: named after their seat instead
_UNIT_OVERRIDE = {
    "2003": "KPP w Bielsku Podlaskim", "2402": "KMP w Bielsku-Białej", "1202": "KPP w Brzesku",
    "1601": "KPP w Brzegu", "1405": "KPP w Grodzisku Mazowieckim", "3005": "KPP w Grodzisku Wielkopolskim",
    "0802": "KPP w Krośnie Odrzańskim", "1807": "KMP w Krośnie", "1414": "KPP w Nowym Dworze Mazowieckim",
    "2210": "KPP w Nowym Dworze Gdańskim", "0612": "KPP w Opolu Lubelskim", "1609": "KMP w Opolu",
    "1416": "KPP w Ostrowi Mazowieckiej", "3017": "KPP w Ostrowie Wielkopolskim",
    "0618": "KPP w Tomaszowie Lubelskim", "1016": "KPP w Tomaszowie Mazowieckim",
    "0218": "KPP w Środzie Śląskiej", "3025": "KPP w Środzie Wielkopolskiej", "0219": "KPP w Świdnicy",
    "0617": "KPP w Świdniku",
}

# ----------------------------------------------------------------------------- categories

# code: (share of all reports in %, confirmation rate, time profile, season, handed-over profile)
_CAT = {
    "przekraczanie-dozwolonej-predkosci": (29.7, 0.58, "road", "speed", False),
    "nieprawidlowe-parkowanie": (23.5, 0.50, "day", None, False),
    "niewlasciwa-infrastruktura-drogowa": (5.9, 0.55, "any", None, True),
    "zla-organizacja-ruchu-drogowego": (3.0, 0.48, "road", None, True),
    "nielegalne-rajdy-samochodowe": (1.6, 0.40, "racing", "warm", False),
    "zdarzenia-drogowe-z-udzialem-zwierzat-lesnych": (0.6, 0.50, "dusk", "autumn", True),
    "niestrzezone-przejscie-przez-tory": (0.4, 0.52, "any", None, True),
    "niestrzezony-przejazd-kolejowy": (0.3, 0.48, "any", None, True),
    "spozywanie-alkoholu-w-miejscach-niedozwolonych": (9.0, 0.38, "evening", "summer", False),
    "grupowanie-sie-maloletnich-zagrozonych-demoralizacja": (4.2, 0.36, "evening", "warm", False),
    "akty-wandalizmu": (3.6, 0.48, "evening", None, False),
    "uzywanie-srodkow-odurzajacych": (2.8, 0.35, "evening", None, False),
    "miejsce-niebezpiecznej-dzialalnosci-rozrywkowej": (0.4, 0.40, "night", None, False),
    "dzikie-wysypiska-smieci": (3.6, 0.63, "any", "spring", True),
    "niszczenie-zieleni": (1.5, 0.50, "any", "spring", True),
    "poruszanie-sie-po-terenach-lesnych-quadami": (1.2, 0.42, "weekend", "warm", False),
    "nielegalna-wycinka-drzew": (0.9, 0.45, "day", "cold_mild", True),
    "wypalanie-traw": (0.6, 0.60, "day", "grass", False),
    "klusownictwo": (0.3, 0.30, "night", "autumn", False),
    "osoba-bezdomna-wymagajaca-pomocy": (1.4, 0.60, "any", "cold", True),
    "zebractwo": (0.6, 0.45, "day", None, False),
    "walesajace-sie-bezpanskie-psy": (2.6, 0.55, "any", None, True),
    "znecanie-sie-nad-zwierzetami": (0.8, 0.42, "any", None, False),
    "miejsca-niebezpieczne-na-wodach": (0.5, 0.48, "day", "water", False),
    "miejsca-niebezpieczne-na-terenach-wodnych": (0.4, 0.50, "day", "water", False),
    "dzikie-kapieliska": (0.4, 0.55, "day", "water", False),
    "utoniecia": (0.2, 0.35, "day", "water", False),
}
_WATER_SUCCESSOR = "miejsca-niebezpieczne-na-wodach"

_SEASON = {  # Jan..Dec, normalised to mean 1
    None: [1] * 12,
    "speed": [0.92, 0.92, 0.97, 1.02, 1.06, 1.08, 1.08, 1.07, 1.02, 0.97, 0.94, 0.92],
    "summer": [0.70, 0.70, 0.85, 1.00, 1.20, 1.30, 1.35, 1.30, 1.05, 0.90, 0.75, 0.70],
    "warm": [0.55, 0.55, 0.80, 1.10, 1.30, 1.35, 1.40, 1.35, 1.15, 0.90, 0.60, 0.50],
    "spring": [0.60, 0.70, 1.20, 1.50, 1.30, 1.10, 1.00, 1.00, 1.00, 1.00, 0.90, 0.60],
    "autumn": [0.90, 0.80, 0.80, 0.80, 0.90, 0.80, 0.80, 0.90, 1.10, 1.50, 1.40, 1.20],
    "cold_mild": [1.30, 1.40, 1.20, 0.90, 0.80, 0.80, 0.80, 0.80, 0.90, 1.00, 1.10, 1.20],
    "grass": [0.30, 0.80, 4.00, 3.50, 0.90, 0.40, 0.30, 0.30, 0.40, 0.50, 0.30, 0.30],
    "water": [0.10, 0.10, 0.20, 0.40, 1.00, 2.80, 3.60, 3.00, 0.50, 0.20, 0.10, 0.10],
    "cold": [2.40, 2.00, 1.20, 0.60, 0.30, 0.20, 0.20, 0.20, 0.40, 1.00, 1.80, 2.40],
}
# reports per category by gmina type (urban, rural, urban-rural), before calibration to the shares
_TYPE_MIX = {
    "nieprawidlowe-parkowanie": (1.45, 0.45, 0.95),
    "zebractwo": (1.6, 0.3, 0.9),
    "osoba-bezdomna-wymagajaca-pomocy": (1.5, 0.4, 0.9),
    "miejsce-niebezpiecznej-dzialalnosci-rozrywkowej": (1.5, 0.4, 0.9),
    "akty-wandalizmu": (1.2, 0.7, 1.0),
    "uzywanie-srodkow-odurzajacych": (1.2, 0.7, 1.0),
    "przekraczanie-dozwolonej-predkosci": (0.85, 1.25, 1.05),
    "poruszanie-sie-po-terenach-lesnych-quadami": (0.3, 2.0, 1.2),
    "klusownictwo": (0.2, 2.2, 1.2),
    "wypalanie-traw": (0.3, 2.0, 1.2),
    "nielegalna-wycinka-drzew": (0.5, 1.7, 1.1),
    "zdarzenia-drogowe-z-udzialem-zwierzat-lesnych": (0.3, 2.0, 1.2),
    "niestrzezony-przejazd-kolejowy": (0.5, 1.6, 1.1),
    "dzikie-wysypiska-smieci": (0.6, 1.6, 1.1),
    "walesajace-sie-bezpanskie-psy": (0.8, 1.3, 1.0),
}

# Dni_tygodnia / Pora_dnia patterns and their weights per time profile
_DNI = ("", "pon,wt,śr,czw,pt", "pon,wt,śr,czw,pt,sob,nd", "sob,nd", "pt,sob", "pt,sob,nd",
        "pon", "wt", "śr", "czw", "pt", "sob", "nd", "pon,śr,pt", "czw,pt,sob")
_PORA = ("", "rano", "dzień", "rano,dzień", "wieczór", "noc", "wieczór,noc", "dzień,wieczór",
         "rano,dzień,wieczór,noc", "rano,wieczór")
_PROFILES = {
    #          _DNI weights                                          _PORA weights
    "road": ([35, 30, 18, 2, 1, 1, 2, 2, 2, 2, 2, .5, .5, 1.5, .5], [30, 14, 18, 16, 4, 2, 3, 6, 5, 2]),
    "day": ([40, 25, 20, 4, 1, 1, 1.5, 1.5, 1.5, 1.5, 1.5, 1, .5, 1, .5], [35, 10, 22, 14, 3, 1, 1, 8, 4, 2]),
    "any": ([45, 12, 22, 6, 2, 3, 1, 1, 1, 1, 1, 1.5, 1.5, 1, 1], [45, 6, 12, 8, 6, 3, 5, 7, 6, 2]),
    "evening": ([35, 4, 15, 14, 10, 14, .3, .3, .3, .5, 1.5, 2, 1, .5, 2.5], [30, .5, 2, .5, 20, 10, 30, 4, 2, 1]),
    "night": ([35, 2, 12, 16, 12, 16, .2, .2, .2, .3, 1.5, 3, 1, .3, 2.5], [30, 0, 1, 0, 10, 28, 28, 1, 1, 1]),
    "racing": ([35, 2, 10, 20, 10, 16, .2, .2, .2, .3, 1, 3, 1, .3, 1], [25, 0, 1, 0, 12, 22, 35, 2, 2, 1]),
    "weekend": ([38, 3, 12, 30, 3, 6, .3, .3, .3, .3, .5, 3, 3, .3, .5], [35, 5, 25, 15, 4, 1, 2, 8, 3, 2]),
    "dusk": ([45, 10, 25, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1], [35, 15, 2, 2, 12, 10, 8, 1, 3, 12]),
}

_SRC = ("internet", "debata", "kontakt", "")
_SRC_P = (0.90, 0.04, 0.03, 0.03)

# hour of status changes (police work 07:00-23:00, most in the day shift)
_CHANGE_HOUR_W = np.array([0, 0, 0, 0, 0, 0, 0, 6, 9, 10, 10, 9, 8, 8, 8, 6, 5, 4, 4, 3, 3, 2, 1, 0], dtype=float)
# verification: resolve time lognormal (median 2.3 d) with a 4 % slow tail (median 12 d)
_RESOLVE_MEDIAN_D, _RESOLVE_SIGMA = 2.3, 0.66
_TAIL_SHARE, _TAIL_MEDIAN_D, _TAIL_SIGMA = 0.04, 12.0, 0.8

# ----------------------------------------------------------------------------- Opis texts

_STREETS = (
    "ul. Szkolnej", "ul. Polnej", "ul. Leśnej", "ul. Ogrodowej", "ul. Lipowej", "ul. Słonecznej",
    "ul. Kościuszki", "ul. Mickiewicza", "ul. Kolejowej", "ul. Kwiatowej", "ul. Długiej",
    "ul. Krótkiej", "ul. Parkowej", "ul. Sportowej", "ul. Zielonej", "ul. 3 Maja", "ul. Piłsudskiego",
    "ul. Sienkiewicza", "ul. Reymonta", "ul. Dworcowej", "ul. Topolowej", "ul. Akacjowej",
    "ul. Wiejskiej", "ul. Kasztanowej", "ul. Brzozowej", "ul. Żeromskiego", "ul. Granicznej",
)
_WHEN = ("wieczorami", "w nocy", "rano", "w weekendy", "codziennie", "po 22:00",
         "w godzinach szczytu", "od kilku tygodni", "szczególnie w piątki")
_WATER = ("stawie", "żwirowni", "rzece", "glinance", "zalewie", "starorzeczu")
_TEMPLATES = {
    "przekraczanie-dozwolonej-predkosci": (
        "Kierowcy notorycznie przekraczają prędkość na {ul}, {kiedy}.",
        "Samochody jeżdżą tu ponad 100 km/h, a to teren zabudowany. Przy {ul} jest szkoła.",
        "Na prostym odcinku {ul} auta i motocykle się ścigają; przydałby się radar.",
        "Brak fotoradaru, kierowcy pędzą {kiedy}. Proszę o kontrole prędkości.",
    ),
    "nieprawidlowe-parkowanie": (
        "Auta parkują na chodniku przy {ul}, piesi muszą schodzić na jezdnię.",
        "Samochody stoją na przejściu dla pieszych i zasłaniają widoczność.",
        "Parkowanie na zakazie i na miejscach dla niepełnosprawnych, {kiedy}.",
        "Dostawczaki blokują wyjazd z osiedla przy {ul}.",
    ),
    "niewlasciwa-infrastruktura-drogowa": (
        "Brak oświetlenia przejścia dla pieszych na {ul}.",
        "Dziura w jezdni na {ul}, kierowcy gwałtownie ją omijają.",
        "Zniszczony znak ustąp pierwszeństwa na skrzyżowaniu {ul} i {ul2}.",
        "Krzaki zasłaniają widoczność przy wyjeździe na {ul}.",
    ),
    "zla-organizacja-ruchu-drogowego": (
        "Niejasne oznakowanie na skrzyżowaniu {ul} i {ul2}, często dochodzi do kolizji.",
        "Brak przejścia dla pieszych w pobliżu szkoły przy {ul}.",
        "Za krótkie zielone światło dla pieszych na {ul}.",
    ),
    "nielegalne-rajdy-samochodowe": (
        "Nocne wyścigi samochodów na parkingu przy {ul}, {kiedy}.",
        "Drifty i palenie gumy na placu przy {ul}; hałas do późna.",
        'Grupa aut urządza "zloty" w weekendy, jeżdżą bardzo niebezpiecznie.',
    ),
    "zdarzenia-drogowe-z-udzialem-zwierzat-lesnych": (
        "Sarny często wychodzą na drogę przy {ul}, brak znaku ostrzegawczego.",
        "Dziki przy drodze {kiedy}, były już potrącenia.",
    ),
    "niestrzezone-przejscie-przez-tory": (
        "Ludzie skracają sobie drogę przez tory przy {ul}.",
        "Wydeptana ścieżka przez tory, chodzą tędy dzieci do szkoły.",
    ),
    "niestrzezony-przejazd-kolejowy": (
        "Niestrzeżony przejazd przy {ul}, słaba widoczność nadjeżdżającego pociągu.",
        'Kierowcy nie zatrzymują się przed znakiem "STOP" na przejeździe.',
    ),
    "spozywanie-alkoholu-w-miejscach-niedozwolonych": (
        "Grupa osób spożywa alkohol na ławkach przy {ul}, {kiedy}.",
        "Picie alkoholu przy sklepie całodobowym; butelki zostają na chodniku.",
        "Na placu zabaw przy {ul} wieczorami piją alkohol, zostawiają szkło.",
        'Libacje w altanie w parku; "impreza" trwa do nocy.',
    ),
    "grupowanie-sie-maloletnich-zagrozonych-demoralizacja": (
        "Młodzież gromadzi się przy {ul}, zaczepia przechodniów {kiedy}.",
        "Grupa nastolatków pali papierosy za szkołą i niszczy ławki.",
    ),
    "akty-wandalizmu": (
        "Zniszczone wiaty przystankowe przy {ul}.",
        "Ktoś regularnie maluje graffiti na elewacji bloku przy {ul}.",
        "Powybijane szyby w altanie śmietnikowej, {kiedy}.",
    ),
    "uzywanie-srodkow-odurzajacych": (
        "Na klatce schodowej przy {ul} czuć marihuanę, leżą strzykawki.",
        "Podejrzewam handel narkotykami przy {ul}, {kiedy}.",
    ),
    "miejsce-niebezpiecznej-dzialalnosci-rozrywkowej": (
        "Lokal przy {ul}: głośna muzyka i bójki przed wejściem {kiedy}.",
        "Po zamknięciu klubu przy {ul} dochodzi do awantur.",
    ),
    "dzikie-wysypiska-smieci": (
        "Dzikie wysypisko śmieci w lesie przy {ul}: opony, gruz, worki.",
        "Ktoś wyrzuca odpady budowlane na pobocze przy {ul}.",
    ),
    "niszczenie-zieleni": (
        "Samochody parkują na trawnikach przy {ul} i niszczą zieleń.",
        "Połamane młode drzewa w parku przy {ul}.",
    ),
    "poruszanie-sie-po-terenach-lesnych-quadami": (
        "Quady i motocykle crossowe jeżdżą po lesie przy {ul}, {kiedy}.",
        "Rozjeżdżone ścieżki leśne, hałas quadów w weekendy.",
    ),
    "nielegalna-wycinka-drzew": (
        "Wycinka drzew bez oznakowania i zezwolenia przy {ul}.",
        "Ktoś ścina drzewa w lesie przy {ul}, {kiedy}.",
    ),
    "wypalanie-traw": (
        "Wypalanie traw na łąkach przy {ul}, dym nad drogą.",
        "Pożar traw na nieużytkach przy {ul}; powtarza się co wiosnę.",
    ),
    "klusownictwo": (
        "Wnyki w lesie przy {ul}.",
        "Nocą słychać strzały, ktoś poluje bez uprawnień.",
    ),
    "osoba-bezdomna-wymagajaca-pomocy": (
        "Osoba bezdomna śpi na klatce schodowej przy {ul}, jest bardzo zimno.",
        "Starszy mężczyzna nocuje w altanie przy {ul}, potrzebuje pomocy.",
        "Bezdomny leży na przystanku przy {ul}, {kiedy}.",
    ),
    "zebractwo": (
        "Natarczywe żebranie przy sklepie na {ul}.",
        "Osoby żebrzą przy wyjeździe z parkingu i zaczepiają kierowców.",
    ),
    "walesajace-sie-bezpanskie-psy": (
        "Bezpańskie psy biegają po osiedlu przy {ul}, dzieci się boją.",
        "Wataha psów przy {ul} {kiedy}; pies pogryzł rowerzystę.",
    ),
    "znecanie-sie-nad-zwierzetami": (
        "Pies trzymany na krótkim łańcuchu bez wody i budy przy {ul}.",
        "Sąsiad bije psa; słychać skomlenie {kiedy}.",
    ),
    "miejsca-niebezpieczne-na-wodach": (
        "Młodzież skacze do wody z mostu przy {ul}.",
        "Niebezpieczne zejście do wody przy {woda}, bardzo głęboko.",
        "Osoby pływają po alkoholu w {woda}.",
    ),
    "miejsca-niebezpieczne-na-terenach-wodnych": (
        "Niebezpieczne zejście do wody przy {woda}, bardzo głęboko.",
        "Cienki lód na {woda}, dzieci po nim chodzą.",
    ),
    "dzikie-kapieliska": (
        "Dzikie kąpielisko przy {woda}, brak ratownika.",
        "Ludzie kąpią się w {woda} mimo zakazu, {kiedy}.",
    ),
    "utoniecia": (
        "Tu w zeszłym roku ktoś utonął; brak oznakowania przy {woda}.",
    ),
}
_SUFFIXES = (
    " Problem się powtarza; zgłaszałem już wcześniej.",
    " Proszę o częstsze patrole.",
    " Sytuacja trwa od kilku tygodni.",
    "\nProszę o interwencję.",
    '\nMieszkańcy nazywają to miejsce "czarnym punktem".',
    " Najgorzej jest w weekendy; wtedy nikt nie reaguje.",
    " Zgłaszam po raz kolejny!",
)
# made-up contact details, so that privacy checks have something to find
_PHONES = ("600 000 123", "500 100 200", "123 456 789", "700 800 900", "+48 600 000 001")
_PRIVATE = (
    " Kontakt: tel. {tel}.",
    " Proszę o telefon: {tel}",
    " Widziała to też pani {imie} z mieszkania nr {nr}.",
    " Zgłaszam w imieniu sąsiada, pana {imie_d}.",
    " Mój e-mail: zglaszajacy{nr}@example.com",
)
_NAMES_F = ("Ewa", "Anna", "Agnieszka", "Katarzyna", "Barbara")
_NAMES_M_GEN = ("Marka", "Tomasza", "Krzysztofa", "Pawła", "Andrzeja")
_OPIS_POOL = 160  # distinct texts per category
_OPIS_SHARE = 0.40

# ----------------------------------------------------------------------------- bad rows

_UNKNOWN_TYP = ("Hałas", "Nielegalne graffiti", "Inne zagrożenie", "Nietrzeźwi kierowcy")
_UNKNOWN_STATUS = ("Zamknięte", "W toku", "Archiwalne", "Odrzucone")
_OUTSIDE = ((100000.0, 950000.0), (480000.0, 800000.0), (150000.0, 480000.0), (560000.0, 815000.0))


# ============================================================================= geography


@dataclass
class _Geo:
    teryt: np.ndarray  # object, 7-digit codes, sorted
    powiat: np.ndarray  # int index into units
    voiv: np.ndarray  # object, 2-digit
    gtype: np.ndarray  # int 0 urban, 1 rural, 2 urban-rural
    pop: np.ndarray  # float
    polys: np.ndarray  # shapely polygons in EPSG:2180, shrunk by _INNER, prepared
    bounds: np.ndarray  # (G, 4)
    fill: np.ndarray  # polygon area / bbox area
    units: np.ndarray  # object, police unit per powiat index
    powiat_codes: np.ndarray  # object, 4-digit per powiat index


@lru_cache(maxsize=4)
def _load_geo(geo_dir: str) -> _Geo:
    import geopandas as gpd

    geo_dir_p = Path(geo_dir)
    gdf = gpd.read_file(geo_dir_p / "gminas.geojson")
    gdf["teryt"] = gdf["teryt"].astype(str)
    gdf = gdf.sort_values("teryt", kind="stable").reset_index(drop=True).to_crs(2180)
    pop = pd.read_csv(geo_dir_p / "population_gminas.csv", dtype={"teryt": str})
    pop = pop.set_index("teryt")["population"]
    missing = sorted(set(gdf["teryt"]) - set(pop.index))
    if missing:
        raise ValueError(f"no population for gmina(s) {', '.join(missing[:5])}")
    teryt = gdf["teryt"].to_numpy(dtype=object)
    powiats = pd.read_csv(geo_dir_p / "population.csv", dtype={"teryt": str}).sort_values("teryt")
    powiat_codes = powiats["teryt"].to_numpy(dtype=object)
    units = np.array([_unit_name(c, n) for c, n in zip(powiats["teryt"], powiats["name"])], dtype=object)
    pidx = {c: i for i, c in enumerate(powiat_codes)}
    polys = shapely.buffer(gdf.geometry.to_numpy(), -_INNER)
    polys = shapely.make_valid(polys)
    shapely.prepare(polys)
    bounds = shapely.bounds(polys)
    bbox_area = (bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])
    return _Geo(
        teryt=teryt,
        powiat=np.array([pidx[t[:4]] for t in teryt], dtype=np.int64),
        voiv=np.array([t[:2] for t in teryt], dtype=object),
        gtype=np.array([{"1": 0, "2": 1, "3": 2}[t[6]] for t in teryt], dtype=np.int64),
        pop=pop.reindex(teryt).to_numpy(dtype=float),
        polys=polys,
        bounds=bounds,
        fill=np.clip(shapely.area(polys) / bbox_area, 0.02, 1.0),
        units=units,
        powiat_codes=powiat_codes,
    )


def _unit_name(code: str, name: str) -> str:
    if code in _UNIT_OVERRIDE:
        return _UNIT_OVERRIDE[code]
    if code == "1465":
        return "KSP w Warszawie"
    if int(code[2:]) >= 61:
        return f"KMP w {_CITY_LOCATIVE.get(code, name)}"
    loc = name + "m" if name.endswith(("i", "y")) else name
    return f"KPP w powiecie {loc}"


@dataclass
class _Places:
    weight: np.ndarray  # report weight per gmina (sums to 1)
    hot_share: np.ndarray  # share of a gmina's reports at its hot spots
    hot_start: np.ndarray  # CSR offsets into hot_x / hot_y / hot_w, len G+1
    hot_x: np.ndarray
    hot_y: np.ndarray
    hot_w: np.ndarray  # cumulative weights within each gmina
    rate_offset: np.ndarray  # confirmation-rate offset per powiat


@lru_cache(maxsize=8)
def _places(geo_dir: str, seed: int) -> _Places:
    geo = _load_geo(geo_dir)
    rng = np.random.default_rng([seed, 1])
    n_pow = len(geo.units)
    G = len(geo.teryt)
    # reports per gmina: population x voivodeship factor x gmina type x a powiat's own propensity
    noise = rng.lognormal(0.0, 0.15, n_pow)
    w = geo.pop * np.array([_GMINA_TYPE_FACTOR[str(t)] for t in geo.gtype + 1]) * noise[geo.powiat]
    voivs = np.unique(geo.voiv)
    for v in voivs:
        m = geo.voiv == v
        w[m] *= VOIVODESHIP_FACTOR[v] * geo.pop[m].sum() / w[m].sum()
    w = w / w.sum()
    # confirmation rate offsets per powiat, centred on the report-weighted mean
    off = rng.normal(0.0, 0.04, n_pow)
    pw = np.bincount(geo.powiat, weights=w, minlength=n_pow)
    off -= (off * pw).sum() / pw.sum()
    # hot spots: a few fixed points per populous gmina
    n_hot = np.where(geo.pop >= _HOT_MIN_POP, np.clip(np.round(geo.pop / 30_000), 1, 25), 0).astype(np.int64)
    hot_gm = n_hot > 0
    share = np.zeros(G)
    share[hot_gm] = min(0.6, HOT_SPOT_SHARE / w[hot_gm].sum())
    hot_start = np.concatenate([[0], np.cumsum(n_hot)])
    hx = np.empty(hot_start[-1])
    hy = np.empty(hot_start[-1])
    hw = np.empty(hot_start[-1])
    inner = shapely.buffer(geo.polys[hot_gm], -(HOT_SPOT_RADIUS + 10.0))
    inner_by_g = dict(zip(np.flatnonzero(hot_gm).tolist(), inner))
    for g in np.flatnonzero(hot_gm):
        k = int(n_hot[g])
        poly = inner_by_g[g]
        if shapely.is_empty(poly) or shapely.area(poly) < 1.0:
            poly = geo.polys[g]
        else:
            shapely.prepare(poly)
        xs, ys = _sample_in(rng, poly, shapely.bounds(poly), max(0.02, shapely.area(poly) / _bbox_area(poly)), k)
        s = hot_start[g]
        hx[s:s + k], hy[s:s + k] = xs, ys
        wj = 1.0 / np.arange(1, k + 1) ** 0.8
        hw[s:s + k] = np.cumsum(wj / wj.sum())
    return _Places(weight=w, hot_share=share, hot_start=hot_start, hot_x=hx, hot_y=hy, hot_w=hw, rate_offset=off)


def _bbox_area(poly) -> float:
    b = shapely.bounds(poly)
    return float((b[2] - b[0]) * (b[3] - b[1]))


def _sample_in(rng, poly, bounds, fill: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """n uniform points inside poly (rounded to 1 cm), by vectorised rejection in its bounding box."""
    outx, outy, have = [], [], 0
    while have < n:
        m = int((n - have) / fill * 1.2) + 16
        xs = np.round(rng.uniform(bounds[0], bounds[2], m), 2)
        ys = np.round(rng.uniform(bounds[1], bounds[3], m), 2)
        ok = shapely.contains_xy(poly, xs, ys)
        xs, ys = xs[ok][: n - have], ys[ok][: n - have]
        outx.append(xs)
        outy.append(ys)
        have += len(xs)
    return np.concatenate(outx), np.concatenate(outy)


# ============================================================================= simulation


@dataclass
class _Sim:
    start: date
    n_days: int
    oid: np.ndarray  # int64
    t0: np.ndarray  # int64 seconds, naive local time (created)
    t1: np.ndarray  # read (-> weryfikacja)
    t2: np.ndarray  # resolved (-> final status)
    cat: np.ndarray  # int, index into reference.categories()
    final: np.ndarray  # int, index into reference.statuses()
    gmina: np.ndarray
    x: np.ndarray
    y: np.ndarray
    hot: np.ndarray  # bool
    teryt_empty: np.ndarray  # bool
    typ_var: np.ndarray  # int 0..4 (label, UPPER, spaced, lower, code)
    src: np.ndarray
    dni: np.ndarray
    pora: np.ndarray
    ev_kind: np.ndarray  # 0 none, 1 date, 2 datetime
    ev_t: np.ndarray  # int64 seconds
    opis: np.ndarray  # int, index into the opis pool (-1 none)


def _day_seconds(d: date) -> int:
    return int(np.datetime64(d, "s").astype(np.int64))


def _day_rates(start: date, n_days: int) -> np.ndarray:
    """Expected national reports per day (scale 1)."""
    days = np.datetime64(start, "D") + np.arange(n_days)
    months = days.astype("datetime64[M]").astype(np.int64) % 12
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    ref_year = np.datetime64("2025-01-01", "D") + np.arange(365)
    norm = _MONTH_VOLUME[ref_year.astype("datetime64[M]").astype(np.int64) % 12].mean()
    lam = BASE_PER_DAY * _MONTH_VOLUME[months] / norm * _WEEKDAY_VOLUME[weekday]
    years = (days - np.datetime64(GROWTH_REF, "D")).astype(np.int64) / 365.25
    lam = lam * (1.0 + GROWTH_PER_YEAR) ** years
    mday = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    for (mo, dd), f in _HOLIDAYS.items():
        lam[(months == mo - 1) & (mday == dd)] *= f
    return lam


def _category_tables(start: date, n_days: int, type_mix: np.ndarray) -> np.ndarray:
    """Cumulative category probabilities, shape (n_days * 3, C): row = day * 3 + gmina type."""
    cats = reference.categories()
    C = len(cats)
    target = np.array([_CAT[c.code][0] for c in cats], dtype=float)
    target /= target.sum()
    f = np.ones((3, C))
    for j, c in enumerate(cats):
        if c.code in _TYPE_MIX:
            f[:, j] = _TYPE_MIX[c.code]
    # calibrate base weights so that the mix over gmina types gives the target shares
    s = target.copy()
    for _ in range(50):
        p = s[None, :] * f
        p /= p.sum(axis=1, keepdims=True)
        marg = (type_mix[:, None] * p).sum(axis=0)
        s *= target / marg
    days = np.datetime64(start, "D") + np.arange(n_days)
    months = days.astype("datetime64[M]").astype(np.int64) % 12
    season = np.array([np.asarray(_SEASON[_CAT[c.code][3]], dtype=float) for c in cats])  # (C, 12)
    season /= season.mean(axis=1, keepdims=True)
    active = np.ones((n_days, C), dtype=bool)
    succ = next(j for j, c in enumerate(cats) if c.code == _WATER_SUCCESSOR)
    w = s[None, :] * season[:, months].T  # (n_days, C)
    for j, c in enumerate(cats):
        active[:, j] = days >= np.datetime64(c.active_from, "D")
        if c.active_to:
            ended = days > np.datetime64(c.active_to, "D")
            active[:, j] &= ~ended
            # the successor category takes over the reports of the ended ones
            w[ended, succ] += s[j] * season[succ, months[ended]]
    w = np.where(active, w, 0.0)
    tab = w[:, None, :] * f[None, :, :]  # (n_days, 3, C)
    tab /= tab.sum(axis=2, keepdims=True)
    cum = np.cumsum(tab, axis=2).reshape(n_days * 3, C)
    cum[:, -1] = 1.0
    return cum


def _office_time(t_min: np.ndarray, t: np.ndarray, rng) -> np.ndarray:
    """Status changes happen 07:00-23:00: keep t's day, draw the time of day, stay after t_min."""
    t = np.maximum(t, t_min)
    day = t - t % 86400
    out = day + rng.choice(len(_CHANGE_HOUR_W), len(t), p=_CHANGE_HOUR_W / _CHANGE_HOUR_W.sum()) * 3600 \
        + rng.integers(0, 3600, len(t))
    return np.where(out < t_min, out + 86400, out)


def _dst_gap_days(start: date, n_days: int) -> np.ndarray:
    """Day indexes of the spring-forward Sundays (02:00-03:00 does not exist in Warsaw)."""
    out = []
    for y in range(start.year, (start + timedelta(days=n_days)).year + 1):
        d = date(y, 3, 31)
        d -= timedelta(days=(d.weekday() - 6) % 7)
        k = (d - start).days
        if 0 <= k < n_days:
            out.append(k)
    return np.array(out, dtype=np.int64)


def _simulate(geo_dir: str, seed: int, start: date, counts: np.ndarray) -> _Sim:
    geo = _load_geo(geo_dir)
    pl = _places(geo_dir, seed)
    cats = reference.categories()
    sts = [s.code for s in reference.statuses()]
    n_days = len(counts)
    N = int(counts.sum())
    R = lambda k: np.random.default_rng([seed, k, N, n_days])  # noqa: E731  one stream per part

    day = np.repeat(np.arange(n_days, dtype=np.int64), counts)
    # --- time of filing
    rng = R(2)
    hour = rng.choice(24, N, p=_HOUR_W / _HOUR_W.sum())
    sod = hour * 3600 + rng.integers(0, 3600, N)
    gap = np.isin(day, _dst_gap_days(start, n_days)) & (sod >= 7200) & (sod < 10800)
    sod[gap] += 3600
    t0 = _day_seconds(start) + day * 86400 + sod
    # --- place and category
    rng = R(3)
    gmina = rng.choice(len(geo.teryt), N, p=pl.weight)
    gt = geo.gtype[gmina]
    type_mix = np.bincount(geo.gtype, weights=pl.weight, minlength=3)
    cum = _category_tables(start, n_days, type_mix)
    key = day * 3 + gt
    u = rng.random(N)
    cat = np.zeros(N, dtype=np.int64)
    for c in range(len(cats) - 1):
        cat += u > cum[key, c]
    # --- outcome
    rng = R(4)
    rate = np.array([_CAT[c.code][1] for c in cats])
    handover = np.array([_CAT[c.code][4] for c in cats])
    p = np.clip(rate[cat] + pl.rate_offset[geo.powiat[gmina]], 0.05, 0.95)
    conf = rng.random(N) < p
    u2 = rng.random(N)
    ho = handover[cat]
    # confirmed: eliminated / confirmed / handed over; unconfirmed: not confirmed / joke or mistake
    elim_p = np.where(ho, 0.70, 0.84)
    potw_p = np.where(ho, 0.08, 0.12)
    final = np.where(
        conf,
        np.where(u2 < elim_p, sts.index("potwierdzone-wyeliminowane"),
                 np.where(u2 < elim_p + potw_p, sts.index("potwierdzone"), sts.index("potwierdzone-przekazane-poza-policje"))),
        np.where(u2 < 0.10, sts.index("zart-lub-pomylka"), sts.index("niepotwierdzone")),
    )
    # --- verification times
    tail = rng.random(N) < _TAIL_SHARE
    d2 = np.where(tail, rng.lognormal(np.log(_TAIL_MEDIAN_D), _TAIL_SIGMA, N),
                  rng.lognormal(np.log(_RESOLVE_MEDIAN_D), _RESOLVE_SIGMA, N)) * 86400
    d1 = d2 * rng.beta(1.5, 4.0, N)
    d1 = np.maximum(d1, 600).astype(np.int64)
    d2 = np.maximum(d2.astype(np.int64), d1 + 600)
    t1 = _office_time(t0 + 600, t0 + d1, rng)
    t2 = _office_time(t1 + 600, t0 + d2, rng)
    # --- order by creation, ids increasing with time (a few ids unused, as in real systems)
    order = np.argsort(t0, kind="stable")
    t0, t1, t2, cat, final, gmina = t0[order], t1[order], t2[order], cat[order], final[order], gmina[order]
    rng = R(5)
    oid = FIRST_OBJECTID + np.cumsum(1 + (rng.random(N) < 0.02)) - 1
    # --- points
    hot = rng.random(N) < pl.hot_share[gmina]
    x, y = _points(geo, pl, rng, gmina, hot)
    # --- other fields
    rng = R(6)
    teryt_empty = rng.random(N) < 0.05
    typ_var = rng.choice(5, N, p=[0.955, 0.01, 0.01, 0.005, 0.02])
    src = rng.choice(len(_SRC), N, p=_SRC_P)
    prof_names = list(_PROFILES)
    prof = np.array([prof_names.index(_CAT[c.code][2]) for c in cats])[cat]
    dni = np.zeros(N, dtype=np.int64)
    pora = np.zeros(N, dtype=np.int64)
    for k, name in enumerate(prof_names):
        m = prof == k
        n = int(m.sum())
        wd, wp = (np.asarray(v, dtype=float) for v in _PROFILES[name])
        dni[m] = rng.choice(len(_DNI), n, p=wd / wd.sum())
        pora[m] = rng.choice(len(_PORA), n, p=wp / wp.sum())
    ev_kind = rng.choice(3, N, p=[0.78, 0.17, 0.05])
    lag = np.minimum(rng.geometric(0.45, N) - 1, 30)
    ev_t = t0 - t0 % 86400 - lag * 86400 + np.where(ev_kind == 2, rng.integers(6, 23, N) * 3600, 0)
    opis = np.where(rng.random(N) < _OPIS_SHARE, cat * _OPIS_POOL + rng.integers(0, _OPIS_POOL, N), -1)
    return _Sim(start=start, n_days=n_days, oid=oid, t0=t0, t1=t1, t2=t2, cat=cat, final=final,
                gmina=gmina, x=x, y=y, hot=hot, teryt_empty=teryt_empty, typ_var=typ_var, src=src,
                dni=dni, pora=pora, ev_kind=ev_kind, ev_t=ev_t, opis=opis)


def _points(geo: _Geo, pl: _Places, rng, gmina: np.ndarray, hot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    N = len(gmina)
    x = np.empty(N)
    y = np.empty(N)
    order = np.argsort(gmina, kind="stable")
    bounds = np.searchsorted(gmina[order], np.arange(len(geo.teryt) + 1))
    for g in range(len(geo.teryt)):
        idx = order[bounds[g]:bounds[g + 1]]
        if not len(idx):
            continue
        h = hot[idx]
        cold = idx[~h]
        if len(cold):
            x[cold], y[cold] = _sample_in(rng, geo.polys[g], geo.bounds[g], geo.fill[g], len(cold))
        hi = idx[h]
        if len(hi):
            s, e = pl.hot_start[g], pl.hot_start[g + 1]
            j = s + np.minimum(np.searchsorted(pl.hot_w[s:e], rng.random(len(hi))), e - s - 1)
            r = HOT_SPOT_RADIUS * 0.98 * np.sqrt(rng.random(len(hi)))
            a = rng.uniform(0, 2 * np.pi, len(hi))
            hx = np.round(pl.hot_x[j] + r * np.cos(a), 2)
            hy = np.round(pl.hot_y[j] + r * np.sin(a), 2)
            ok = shapely.contains_xy(geo.polys[g], hx, hy)
            x[hi] = np.where(ok, hx, pl.hot_x[j])
            y[hi] = np.where(ok, hy, pl.hot_y[j])
    return x, y


@lru_cache(maxsize=4)
def _opis_pool(seed: int) -> np.ndarray:
    """_OPIS_POOL texts per category (in category order), plus "" at the end (index -1)."""
    rng = np.random.default_rng([seed, 7])
    out = []
    for c in reference.categories():
        tpls = _TEMPLATES[c.code]
        for _ in range(_OPIS_POOL):
            t = tpls[rng.integers(len(tpls))]
            s1, s2 = rng.choice(len(_STREETS), 2, replace=False)
            text = t.format(ul=_STREETS[s1], ul2=_STREETS[s2], kiedy=_WHEN[rng.integers(len(_WHEN))],
                            woda=_WATER[rng.integers(len(_WATER))])
            if rng.random() < 0.45:
                text += _SUFFIXES[rng.integers(len(_SUFFIXES))]
            if rng.random() < 0.04:
                text += _PRIVATE[rng.integers(len(_PRIVATE))].format(
                    tel=_PHONES[rng.integers(len(_PHONES))], imie=_NAMES_F[rng.integers(len(_NAMES_F))],
                    imie_d=_NAMES_M_GEN[rng.integers(len(_NAMES_M_GEN))], nr=int(rng.integers(1, 120)))
            out.append(text[:500])
    out.append("")
    return np.array(out, dtype=object)


# ============================================================================= rendering


@dataclass(frozen=True)
class _Style:
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | cp1250
    delimiter: str = ";"
    decimal: str = ","
    gz: bool = False
    columns: tuple[str, ...] = COLUMNS
    extra: str | None = None  # name of an unknown extra column
    iso: bool = False  # ISO 8601 datetimes with offset
    lineterminator: str = "\n"
    quote_opis: bool = False  # always quote Opis


def _fmt_dt(sec: np.ndarray, iso: bool) -> np.ndarray:
    a = np.asarray(sec, dtype=np.int64).astype("datetime64[s]")
    if not iso:
        return np.strings.replace(np.datetime_as_string(a, unit="s"), "T", " ").astype(object)
    idx = pd.DatetimeIndex(a).tz_localize(TZ, ambiguous=np.ones(len(a), dtype=bool), nonexistent="shift_forward")
    return np.array([ts.isoformat() for ts in idx], dtype=object)


def _fmt_num(v: np.ndarray, decimal: str) -> list[str]:
    if decimal == ",":
        return [f"{f:.2f}".replace(".", ",") for f in v.tolist()]
    return [f"{f:.2f}" for f in v.tolist()]


def _state(sim: _Sim, idx: np.ndarray, as_of: int) -> tuple[np.ndarray, np.ndarray]:
    """(status index, Data_modyfikacji) of reports idx as of as_of (inclusive)."""
    sts = [s.code for s in reference.statuses()]
    t1, t2 = sim.t1[idx], sim.t2[idx]
    done = t2 <= as_of
    read = t1 <= as_of
    st = np.where(done, sim.final[idx], np.where(read, sts.index("weryfikacja"), sts.index("nowe")))
    mod = np.where(done, t2, np.where(read, t1, sim.t0[idx]))
    return st, mod


def _columns(sim: _Sim, geo: _Geo, pool: np.ndarray, idx: np.ndarray, as_of: int, style: _Style) -> dict[str, list]:
    cats = reference.categories()
    typ_tab = np.array([[c.label_pl, c.label_pl.upper(), f"  {c.label_pl} ", c.label_pl.lower(), c.code] for c in cats],
                       dtype=object)
    st_lab = np.array([s.label_pl for s in reference.statuses()], dtype=object)
    st, mod = _state(sim, idx, as_of)
    g = sim.gmina[idx]
    ev_kind = sim.ev_kind[idx]
    ev = np.full(len(idx), "", dtype=object)
    m1 = ev_kind == 1
    ev[m1] = np.datetime_as_string(sim.ev_t[idx][m1].astype("datetime64[s]"), unit="D").astype(object)
    m2 = ev_kind == 2
    if m2.any():
        ev[m2] = _fmt_dt(sim.ev_t[idx][m2], style.iso)
    teryt = np.where(sim.teryt_empty[idx], "", geo.teryt[g])
    return {
        "OBJECTID": [str(v) for v in sim.oid[idx].tolist()],
        "Typ": typ_tab[sim.cat[idx], sim.typ_var[idx]].tolist(),
        "Status": st_lab[st].tolist(),
        "Data_utworzenia": _fmt_dt(sim.t0[idx], style.iso).tolist(),
        "Data_modyfikacji": _fmt_dt(mod, style.iso).tolist(),
        "Data_zdarzenia": ev.tolist(),
        "Dni_tygodnia": np.array(_DNI, dtype=object)[sim.dni[idx]].tolist(),
        "Pora_dnia": np.array(_PORA, dtype=object)[sim.pora[idx]].tolist(),
        "X": _fmt_num(sim.x[idx], style.decimal),
        "Y": _fmt_num(sim.y[idx], style.decimal),
        "TERYT": teryt.tolist(),
        "Jednostka": geo.units[geo.powiat[g]].tolist(),
        "Zrodlo": np.array(_SRC, dtype=object)[sim.src[idx]].tolist(),
        "Opis": pool[sim.opis[idx]].tolist(),
    }


def _quote(v: str, delim: str, force: bool) -> str:
    if force or delim in v or '"' in v or "\n" in v or "\r" in v:
        return '"' + v.replace('"', '""') + '"'
    return v


def _open_text(path: Path, style: _Style):
    raw = open(path, "wb")
    if style.gz:
        gz = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
        return io.TextIOWrapper(gz, encoding=style.encoding, newline=""), (gz, raw)
    return io.TextIOWrapper(raw, encoding=style.encoding, newline=""), (raw,)


def _write_rows(path: Path, style: _Style, header: list[str], rows) -> None:
    """rows: an iterable of lists of str in header order (chunks of rows are fine via writerows)."""
    text, closers = _open_text(path, style)
    try:
        if style.quote_opis:
            opis_at = header.index("Opis")
            d = style.delimiter
            text.write(d.join(_quote(h, d, False) for h in header) + style.lineterminator)
            for r in rows:
                text.write(d.join(_quote(v, d, i == opis_at) for i, v in enumerate(r)) + style.lineterminator)
        else:
            w = csv.writer(text, delimiter=style.delimiter, quotechar='"', doublequote=True,
                           lineterminator=style.lineterminator, quoting=csv.QUOTE_MINIMAL)
            w.writerow(header)
            w.writerows(rows)
        text.flush()
    finally:
        text.close()
        for c in closers:
            c.close()


def _day_end(d: date) -> int:
    return _day_seconds(d) + 86400 - 1


def _wrong_teryt(geo: _Geo, g: int, rng) -> str:
    """A valid gmina code other than g's: a gmina of the same powiat if there is one."""
    same = np.flatnonzero((geo.powiat == geo.powiat[g]) & (np.arange(len(geo.teryt)) != g))
    if not len(same):
        same = np.flatnonzero(np.arange(len(geo.teryt)) != g)
    return geo.teryt[same[rng.integers(len(same))]]


# ============================================================================= public API


@dataclass(frozen=True)
class BadRow:
    kind: str  # one of BAD_ROW_KINDS
    row: int  # 0-based data record index in the file
    line: int  # 1-based physical line where the record starts (the header is line 1)
    objectid: str  # the OBJECTID field as written


@dataclass
class ExtractInfo:
    path: Path
    kind: str  # "full" | "delta"
    date: date  # the day the extract covers (modifications up to 23:59:59 of it)
    encoding: str  # utf-8 | utf-8-sig | cp1250
    delimiter: str
    decimal: str
    gzip: bool
    columns: tuple[str, ...]
    iso_datetimes: bool
    rows: int  # data records, bad ones included
    bad_rows: list[BadRow] = field(default_factory=list)
    teryt_mismatches: tuple[int, ...] = ()  # OBJECTIDs of good rows whose TERYT is deliberately wrong
    empty_teryt: int = 0


@dataclass
class DemoSet:
    files: list[ExtractInfo]
    start: date  # first creation day
    end: date
    snapshot_date: date
    reports: int  # reports created start..end
    state: pd.DataFrame | None = None  # every report's state as of end (with_state=True)

    @property
    def paths(self) -> list[Path]:
        return [f.path for f in self.files]


def _as_date(d) -> date:
    if isinstance(d, str):
        return date.fromisoformat(d)
    if hasattr(d, "date") and callable(d.date):
        return d.date()
    return d


def _delta_styles(deltas: int, rng) -> list[_Style]:
    """Format variants spread over the deltas (combined when there are few)."""
    feats: list[set[str]] = [set() for _ in range(deltas)]
    order = ["bom", "cp1250", "comma", "gzip", "shuffled", "extra", "iso"]
    if deltas >= len(order) + 1:
        pos = np.linspace(1, deltas - 1, len(order)).round().astype(int)
        for f, p in zip(order, pos):
            feats[p].add(f)
    elif deltas:
        for i, f in enumerate(order):
            feats[i % deltas].add(f)
    styles = []
    for fs in feats:
        if "bom" in fs and "cp1250" in fs:
            fs.discard("bom")
        cols = list(COLUMNS)
        if "shuffled" in fs:
            cols = [COLUMNS[i] for i in rng.permutation(len(COLUMNS))]
        comma = "comma" in fs
        styles.append(_Style(
            encoding="cp1250" if "cp1250" in fs else ("utf-8-sig" if "bom" in fs else "utf-8"),
            delimiter="," if comma else ";",
            decimal="." if comma else ",",
            gz="gzip" in fs,
            columns=tuple(cols),
            extra="Wersja" if "extra" in fs else None,
            iso="iso" in fs,
            lineterminator="\r\n" if ("cp1250" in fs or comma) else "\n",
            quote_opis=comma,
        ))
    return styles


def generate(out_dir, *, geo_dir, end, days: int = 1095, scale: float = 1.0, deltas: int = 14,
             seed: int = 2016, bad_rows: bool = True) -> list[Path]:
    """Write a full snapshot and `deltas` nightly deltas into out_dir; return them in ingest order."""
    return generate_details(out_dir, geo_dir=geo_dir, end=end, days=days, scale=scale, deltas=deltas,
                            seed=seed, bad_rows=bad_rows).paths


def generate_details(out_dir, *, geo_dir, end, days: int = 1095, scale: float = 1.0, deltas: int = 14,
                     seed: int = 2016, bad_rows: bool = True, with_state: bool = False) -> DemoSet:
    """Like generate(), and say what each file holds (bad rows, TERYT mismatches)."""
    end = _as_date(end)
    if days < 1 or not 0 <= deltas < days:
        raise ValueError("need days >= 1 and 0 <= deltas < days")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    geo_key = str(Path(geo_dir).resolve())
    geo = _load_geo(geo_key)
    pool = _opis_pool(seed)
    start = end - timedelta(days=days - 1)
    lam = _day_rates(start, days) * scale
    counts = np.random.default_rng([seed, 0]).poisson(lam)
    sim = _simulate(geo_key, seed, start, counts)
    snap = end - timedelta(days=deltas)
    files: list[ExtractInfo] = []
    # --- full snapshot
    rng = np.random.default_rng([seed, 8])
    s_end = _day_end(snap)
    idx = np.flatnonzero(sim.t0 <= s_end)
    files.append(_write_extract(out_dir / f"kmzb_full_{snap:%Y%m%d}.csv.gz", "full", snap, sim, geo, pool, idx,
                                s_end, _Style(gz=True), rng, n_mismatch=max(3, len(idx) // 3000), bad=[]))
    # --- deltas
    styles = _delta_styles(deltas, rng)
    perm = rng.permutation(len(BAD_ROW_KINDS))
    k = 0
    for i in range(deltas):
        d = snap + timedelta(days=i + 1)
        ds, de = _day_seconds(d), _day_end(d)
        created = (sim.t0 >= ds) & (sim.t0 <= de)
        changed = (sim.t0 < ds) & (((sim.t1 >= ds) & (sim.t1 <= de)) | ((sim.t2 >= ds) & (sim.t2 <= de)))
        idx = np.flatnonzero(created | changed)
        kinds = []
        if bad_rows:
            n_bad = int(rng.integers(2, 7))
            kinds = [BAD_ROW_KINDS[perm[(k + j) % len(perm)]] for j in range(n_bad)]
            k += n_bad
        st = styles[i]
        name = f"kmzb_{d:%Y%m%d}.csv" + (".gz" if st.gz else "")
        files.append(_write_extract(out_dir / name, "delta", d, sim, geo, pool, idx, de, st, rng,
                                    n_mismatch=int(rng.integers(1, 4)), bad=kinds, ghost_base=GHOST_OBJECTID + 100 * i))
    state = _final_state(sim, geo, _day_end(end)) if with_state else None
    return DemoSet(files=files, start=start, end=end, snapshot_date=snap, reports=len(sim.oid), state=state)


def _final_state(sim: _Sim, geo: _Geo, as_of: int) -> pd.DataFrame:
    idx = np.arange(len(sim.oid))
    st, mod = _state(sim, idx, as_of)
    codes = np.array(reference.status_codes(), dtype=object)
    cats = np.array(reference.category_codes(), dtype=object)
    return pd.DataFrame({
        "objectid": sim.oid,
        "category": cats[sim.cat],
        "status": codes[st],
        "created_at": sim.t0.astype("datetime64[s]"),
        "modified_at": mod.astype("datetime64[s]"),
        "read_at": sim.t1.astype("datetime64[s]"),
        "resolved_at": sim.t2.astype("datetime64[s]"),
        "gmina": geo.teryt[sim.gmina],
        "x": sim.x,
        "y": sim.y,
        "hot_spot": sim.hot,
    })


def _write_extract(path: Path, kind: str, d: date, sim: _Sim, geo: _Geo, pool: np.ndarray, idx: np.ndarray,
                   as_of: int, style: _Style, rng, *, n_mismatch: int, bad: list[str],
                   ghost_base: int = GHOST_OBJECTID) -> ExtractInfo:
    header = list(style.columns) + ([style.extra] if style.extra else [])
    info = ExtractInfo(path=path, kind=kind, date=d, encoding=style.encoding, delimiter=style.delimiter,
                       decimal=style.decimal, gzip=style.gz, columns=tuple(header), iso_datetimes=style.iso, rows=0)
    # deliberate TERYT mismatches among rows that carry a TERYT
    has_teryt = np.flatnonzero(~sim.teryt_empty[idx])
    mis_pos = np.sort(rng.choice(has_teryt, min(n_mismatch, len(has_teryt)), replace=False)) if len(has_teryt) else []
    mis_codes = [_wrong_teryt(geo, int(sim.gmina[idx[p]]), rng) for p in mis_pos]
    info.teryt_mismatches = tuple(int(sim.oid[idx[p]]) for p in mis_pos)
    info.empty_teryt = int(sim.teryt_empty[idx].sum())
    extra_val = "2.3.1"
    if kind == "full" and not bad:
        # big: write in chunks straight from the column lists
        text_rows = _chunked_rows(sim, geo, pool, idx, as_of, style, header, dict(zip(mis_pos, mis_codes)), extra_val)
        _write_rows(path, style, header, text_rows)
        info.rows = len(idx)
        return info
    cols = _columns(sim, geo, pool, idx, as_of, style)
    for p, code in zip(mis_pos, mis_codes):
        cols["TERYT"][p] = code
    if style.extra:
        cols[style.extra] = [extra_val] * len(idx)
    rows = [list(r) for r in zip(*(cols[h] for h in header))] if len(idx) else []
    # bad rows: copies of good rows of this file with a ghost OBJECTID, then broken
    inserted: list[tuple[str, list[str]]] = []
    for j, kind_b in enumerate(bad):
        if not rows:
            break
        tpl = dict(zip(header, rows[int(rng.integers(len(rows)))]))
        tpl["OBJECTID"] = str(ghost_base + j * 2)
        src_i = int(idx[int(rng.integers(len(idx)))])
        t0 = int(sim.t0[src_i])
        if kind_b == "missing_objectid":
            tpl["OBJECTID"] = ""
        elif kind_b == "nonnumeric_objectid":
            tpl["OBJECTID"] = ("ID-" + tpl["OBJECTID"]) if rng.random() < 0.5 else tpl["OBJECTID"] + "a"
        elif kind_b == "unknown_typ":
            tpl["Typ"] = _UNKNOWN_TYP[rng.integers(len(_UNKNOWN_TYP))]
        elif kind_b == "unknown_status":
            tpl["Status"] = _UNKNOWN_STATUS[rng.integers(len(_UNKNOWN_STATUS))]
        elif kind_b == "unparseable_date":
            col = "Data_utworzenia" if rng.random() < 0.6 else "Data_modyfikacji"
            tpl[col] = (f"{d.year}-02-30 10:15:00", "wczoraj", "24/13/2026 08:00", "")[rng.integers(4)]
        elif kind_b == "modified_before_created":
            tpl["Data_utworzenia"] = _fmt_dt(np.array([t0]), style.iso)[0]
            tpl["Data_modyfikacji"] = _fmt_dt(np.array([t0 - int(rng.integers(3600, 3 * 86400))]), style.iso)[0]
        elif kind_b == "outside_poland":
            ox, oy = _OUTSIDE[rng.integers(len(_OUTSIDE))]
            tpl["X"], tpl["Y"] = _fmt_num(np.array([ox, oy]), style.decimal)
        elif kind_b == "empty_x":
            tpl["X"] = ""
        if kind_b == "duplicate_objectid":
            sts = [s.label_pl for s in reference.statuses() if s.label_pl != tpl["Status"]]
            other = dict(tpl)
            other["Status"] = sts[rng.integers(len(sts))]
            other["Opis"] = tpl["Opis"] + " (uzupełnienie)" if tpl["Opis"] else "Zgłoszenie uzupełnione."
            inserted.append((kind_b, [tpl[h] for h in header]))
            inserted.append((kind_b, [other[h] for h in header]))
        else:
            inserted.append((kind_b, [tpl[h] for h in header]))
    # put them at random places, keeping the order of the good rows
    kinds_at: list[str | None] = [None] * len(rows)
    for kind_b, r in inserted:
        pos = int(rng.integers(len(rows) + 1))
        rows.insert(pos, r)
        kinds_at.insert(pos, kind_b)
    _write_rows(path, style, header, rows)
    info.rows = len(rows)
    opis_at, oid_at = header.index("Opis"), header.index("OBJECTID")
    line = 2
    for i, (r, kb) in enumerate(zip(rows, kinds_at)):
        if kb is not None:
            info.bad_rows.append(BadRow(kind=kb, row=i, line=line, objectid=r[oid_at]))
        line += 1 + r[opis_at].count("\n")
    return info


def _chunked_rows(sim, geo, pool, idx, as_of, style, header, mismatch: dict, extra_val: str, chunk: int = 250_000):
    for s in range(0, len(idx), chunk):
        part = idx[s:s + chunk]
        cols = _columns(sim, geo, pool, part, as_of, style)
        for p, code in mismatch.items():
            if s <= p < s + chunk:
                cols["TERYT"][p - s] = code
        if style.extra:
            cols[style.extra] = [extra_val] * len(part)
        yield from zip(*(cols[h] for h in header))


# ============================================================================= benchmarks


def write_full_snapshot(path, *, geo_dir, n_reports: int, end, seed: int = 2016, years: float = 6.8,
                        delta_path=None, delta_rows: int = 5000) -> list[Path]:
    """One full snapshot of exactly n_reports reports created over `years` up to `end`.

    With delta_path, also a delta holding the next delta_rows reports created or changed after the
    snapshot (its time cut where the delta_rows-th report first changes). Returns the paths written.
    """
    end = _as_date(end)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    geo_key = str(Path(geo_dir).resolve())
    geo = _load_geo(geo_key)
    pool = _opis_pool(seed)
    n_days = max(1, int(round(years * 365.25)))
    start = end - timedelta(days=n_days - 1)
    # days simulated after the snapshot: enough new reports for the delta on their own
    after = int(min(3650, delta_rows * n_days / max(n_reports, 1) * 1.2 + 14)) if delta_path else 0
    lam = _day_rates(start, n_days + after)
    rng = np.random.default_rng([seed, 0, n_reports])
    counts = np.zeros(n_days + after, dtype=np.int64)
    counts[:n_days] = rng.multinomial(n_reports, lam[:n_days] / lam[:n_days].sum())
    scale = n_reports / lam[:n_days].sum()
    if after:
        counts[n_days:] = rng.poisson(lam[n_days:] * scale)
    sim = _simulate(geo_key, seed, start, counts)
    s_end = _day_end(end)
    idx = np.flatnonzero(sim.t0 <= s_end)
    gz = path.name.endswith(".gz")
    rng = np.random.default_rng([seed, 8, n_reports])
    _write_extract(path, "full", end, sim, geo, pool, idx, s_end, _Style(gz=gz), rng,
                   n_mismatch=max(3, len(idx) // 3000), bad=[])
    out = [path]
    if delta_path:
        delta_path = Path(delta_path)
        delta_path.parent.mkdir(parents=True, exist_ok=True)
        # each report's first event after the snapshot
        big = np.iinfo(np.int64).max
        first = np.where(sim.t0 > s_end, sim.t0,
                         np.where(sim.t1 > s_end, sim.t1, np.where(sim.t2 > s_end, sim.t2, big)))
        cand = np.flatnonzero(first < big)
        cand = cand[np.argsort(first[cand], kind="stable")][:delta_rows]
        cut = int(first[cand[-1]]) if len(cand) else s_end
        idx = np.sort(cand)
        day = (np.datetime64(cut, "s").astype("datetime64[D]")).astype(object)
        _write_extract(delta_path, "delta", day, sim, geo, pool, idx, cut,
                       _Style(gz=delta_path.name.endswith(".gz")), rng, n_mismatch=3, bad=[])
        out.append(delta_path)
    return out
