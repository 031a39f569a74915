"""Calibration of the demo data: every figure the simulator draws from, and where it comes from.

Tables only (no code). "Published" marks the police's published national KMZB figures (the ones
quoted in the README: about 1,200 reports a day, i.e. 0.40-0.46 million a year; speeding 29.7 % of
reports, 58 % confirmed; illegal parking 23.5 %, 50 %; road infrastructure 5.9 %, 55 %; alcohol
about 9 %, 38 %; about half of resolved reports confirmed, about 80 % of confirmed threats
eliminated; małopolskie and śląskie leading per inhabitant). "Assumed" marks a shape chosen to look
plausible where nothing is published (season curves, hours, text patterns). Population per gmina is
GUS's, read from shared/geo at run time, not held here.
"""

from __future__ import annotations

from datetime import date

import numpy as np

# ----------------------------------------------------------------------------- volumes

BASE_PER_DAY = 1200.0  # published: national reports a day at GROWTH_REF (before scale)
GROWTH_PER_YEAR = 0.03  # assumed
GROWTH_REF = date(2025, 1, 1)
# assumed: month factors (normalised to a day-weighted mean of 1): summer ~14 % above average
MONTH_VOLUME = np.array([0.87, 0.86, 0.94, 1.00, 1.07, 1.12, 1.14, 1.11, 1.02, 0.95, 0.88, 0.84])
WEEKDAY_VOLUME = np.array([1.06, 1.04, 1.03, 1.01, 0.98, 0.92, 0.96])  # assumed, Mon..Sun
# assumed: fewer reports on Christmas, New Year's Day and All Saints' Day
HOLIDAYS = {(12, 24): 0.6, (12, 25): 0.55, (12, 26): 0.7, (1, 1): 0.7, (11, 1): 0.8}
# assumed: hour of filing (local time)
HOUR_W = np.array([1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 3.8, 4.8, 5.4, 5.6,
                   5.6, 5.5, 5.5, 5.6, 5.8, 6.0, 6.2, 6.4, 6.6, 6.2, 4.6, 2.6])

# ----------------------------------------------------------------------------- geography

# published ranking (małopolskie, śląskie lead), assumed values: reports per inhabitant relative to
# the country, by voivodeship
VOIVODESHIP_FACTOR = {
    "02": 1.05, "04": 0.95, "06": 0.85, "08": 0.95, "10": 1.00, "12": 1.35, "14": 1.05, "16": 0.90,
    "18": 0.85, "20": 0.80, "22": 1.10, "24": 1.30, "26": 0.85, "28": 0.90, "30": 1.00, "32": 1.00,
}
# assumed: reports per inhabitant by gmina type (TERYT's 7th digit: urban / rural / urban-rural)
GMINA_TYPE_FACTOR = {"1": 1.15, "2": 0.85, "3": 1.00}
HOT_SPOT_SHARE = 0.30  # assumed: share of reports at recurring hot spots
HOT_SPOT_RADIUS = 150.0  # metres around a hot spot
HOT_MIN_POP = 12_000  # assumed: gminas of at least this many inhabitants have hot spots,
HOT_SPOT_PER_POP = 30_000  # one per this many inhabitants
HOT_SPOT_MAX = 25  # hot spots in one gmina at most
POWIAT_SPREAD = 0.15  # assumed: sigma of a powiat's lognormal propensity to report
RATE_SPREAD = 0.04  # assumed: sigma of a powiat's confirmation-rate offset
INNER = 5.0  # points stay this far inside the (simplified) gmina border

# ----------------------------------------------------------------------------- categories

# code: (share of all reports in %, confirmation rate, time profile, season, handed-over profile);
# published: the shares and rates of speeding, parking, road infrastructure and alcohol; the others
# are assumed so that road safety makes over 60 % and about half of resolved reports are confirmed
CAT = {
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
WATER_SUCCESSOR = "miejsca-niebezpieczne-na-wodach"

SEASON = {  # assumed, Jan..Dec, normalised to mean 1
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
# assumed: reports per category by gmina type (urban, rural, urban-rural), before calibration to
# the shares
TYPE_MIX = {
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

# assumed: Dni_tygodnia / Pora_dnia patterns and their weights per time profile
DNI = ("", "pon,wt,śr,czw,pt", "pon,wt,śr,czw,pt,sob,nd", "sob,nd", "pt,sob", "pt,sob,nd",
        "pon", "wt", "śr", "czw", "pt", "sob", "nd", "pon,śr,pt", "czw,pt,sob")
PORA = ("", "rano", "dzień", "rano,dzień", "wieczór", "noc", "wieczór,noc", "dzień,wieczór",
         "rano,dzień,wieczór,noc", "rano,wieczór")
PROFILES = {
    #          DNI weights                                          PORA weights
    "road": ([35, 30, 18, 2, 1, 1, 2, 2, 2, 2, 2, .5, .5, 1.5, .5], [30, 14, 18, 16, 4, 2, 3, 6, 5, 2]),
    "day": ([40, 25, 20, 4, 1, 1, 1.5, 1.5, 1.5, 1.5, 1.5, 1, .5, 1, .5], [35, 10, 22, 14, 3, 1, 1, 8, 4, 2]),
    "any": ([45, 12, 22, 6, 2, 3, 1, 1, 1, 1, 1, 1.5, 1.5, 1, 1], [45, 6, 12, 8, 6, 3, 5, 7, 6, 2]),
    "evening": ([35, 4, 15, 14, 10, 14, .3, .3, .3, .5, 1.5, 2, 1, .5, 2.5], [30, .5, 2, .5, 20, 10, 30, 4, 2, 1]),
    "night": ([35, 2, 12, 16, 12, 16, .2, .2, .2, .3, 1.5, 3, 1, .3, 2.5], [30, 0, 1, 0, 10, 28, 28, 1, 1, 1]),
    "racing": ([35, 2, 10, 20, 10, 16, .2, .2, .2, .3, 1, 3, 1, .3, 1], [25, 0, 1, 0, 12, 22, 35, 2, 2, 1]),
    "weekend": ([38, 3, 12, 30, 3, 6, .3, .3, .3, .3, .5, 3, 3, .3, .5], [35, 5, 25, 15, 4, 1, 2, 8, 3, 2]),
    "dusk": ([45, 10, 25, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1], [35, 15, 2, 2, 12, 10, 8, 1, 3, 12]),
}

SRC = ("internet", "debata", "kontakt", "")  # Zrodlo
SRC_P = (0.90, 0.04, 0.03, 0.03)  # assumed: nearly all reports come from the web map

# assumed: hour of status changes (police work 07:00-23:00, most in the day shift)
CHANGE_HOUR_W = np.array([0, 0, 0, 0, 0, 0, 0, 6, 9, 10, 10, 9, 8, 8, 8, 6, 5, 4, 4, 3, 3, 2, 1, 0], dtype=float)
# assumed: verification: resolve time lognormal (median 2.3 d) with a 4 % slow tail (median 12 d)
RESOLVE_MEDIAN_D, RESOLVE_SIGMA = 2.3, 0.66
TAIL_SHARE, TAIL_MEDIAN_D, TAIL_SIGMA = 0.04, 12.0, 0.8

# ----------------------------------------------------------------------------- outcomes

# published: about 80 % of confirmed threats eliminated (fewer where the police hand the matter over)
ELIMINATED = {False: 0.84, True: 0.70}  # by the category's handed-over profile
STILL_CONFIRMED = {False: 0.12, True: 0.08}  # confirmed, not yet eliminated; the rest handed over
JOKE_SHARE = 0.10  # assumed: share of unconfirmed reports that were a joke or a mistake
CONFIRM_RANGE = (0.05, 0.95)  # a powiat's confirmation rate stays within

# ----------------------------------------------------------------------------- other fields

OBJECTID_GAP = 0.02  # assumed: share of unused ids, as in real systems
TERYT_EMPTY_SHARE = 0.05  # assumed: reports without a TERYT code
TYP_VARIANTS_P = (0.955, 0.01, 0.01, 0.005, 0.02)  # Typ as label, UPPER, spaced, lower, code
EVENT_KIND_P = (0.78, 0.17, 0.05)  # Data_zdarzenia: none, a date, a date and time
EVENT_LAG_P = 0.45  # days between the event and the report: geometric, at most EVENT_LAG_MAX
EVENT_LAG_MAX = 30
EVENT_HOURS = (6, 23)  # an event's hour: from, to (exclusive)
OPIS_SHARE = 0.40  # assumed: reports with an Opis text
