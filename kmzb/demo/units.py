"""The police unit (Jednostka) responsible for each powiat, as the extracts name it."""

from __future__ import annotations

# city powiats: "KMP w <city in the locative>"
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


def unit_name(code: str, name: str) -> str:
    """The unit of powiat `code` (4 digits) called `name` (GUS's adjective or city name)."""
    if code in _UNIT_OVERRIDE:
        return _UNIT_OVERRIDE[code]
    if code == "1465":
        return "KSP w Warszawie"
    if int(code[2:]) >= 61:  # a city with powiat rights
        return f"KMP w {_CITY_LOCATIVE.get(code, name)}"
    loc = name + "m" if name.endswith(("i", "y")) else name
    return f"KPP w powiecie {loc}"
