"""Synthetic Opis texts: templates per category, filled in at random from a seeded pool.

The few phone numbers, first names and e-mail addresses in them are made up (example.com).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from kmzb import reference

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
OPIS_POOL = 160  # distinct texts per category


@lru_cache(maxsize=4)
def opis_pool(seed: int) -> np.ndarray:
    """OPIS_POOL texts per category (in category order), plus "" at the end (index -1).

    Each text is a template of its category with streets, times and places filled in, sometimes a
    suffix, rarely made-up contact details (so that privacy checks have something to find).
    """
    rng = np.random.default_rng([seed, 7])
    out = []
    for c in reference.categories():
        tpls = _TEMPLATES[c.code]
        for _ in range(OPIS_POOL):
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

