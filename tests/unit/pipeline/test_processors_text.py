from unittest.mock import patch

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from hub.pipeline.interfaces import ProcessingError
from hub.pipeline.processors import _common

from .processor_support import run

COMMUNES = ["Saint-Étienne", "Lyon", "Villeurbanne", "Saint-Priest"]


def test_trim_collapse_spaces_including_nbsp_and_empty_becomes_null():
    frame = pd.DataFrame({"nom": ["  Élodie\u00a0 Durand ", "Anaïs\u202fMartin", "   ", None]})
    result = run("normalise_text", frame, columns=["nom"])
    assert result.out["nom"].tolist()[:2] == ["Élodie Durand", "Anaïs Martin"]
    assert result.out["nom"].isna().tolist() == [False, False, True, True]


def test_case_and_accent_folding():
    frame = pd.DataFrame({"ville": ["saint-étienne", "ÎLE-D'ABEAU", "cœur"]})
    assert run("normalise_text", frame, columns=["ville"], case="upper",
               fold_accents=True).out["ville"].tolist() == ["SAINT-ETIENNE", "ILE-D'ABEAU", "COEUR"]
    assert run("normalise_text", frame, columns=["ville"], case="title").out["ville"].tolist() \
        == ["Saint-Étienne", "Île-D'Abeau", "Cœur"]


def test_exact_mapping_is_case_sensitive_and_counted():
    frame = pd.DataFrame({"statut": ["EN COURS", "en cours", "Terminé", "EN COURS"]})
    result = run("normalise_text", frame, columns=["statut"], mapping={"EN COURS": "En cours"})
    assert result.out["statut"].tolist() == ["En cours", "en cours", "Terminé", "En cours"]
    assert result.quality["statut"]["mapped"] == 2
    assert result.quality["statut"]["mapped_examples"] == ["EN COURS -> En cours"]


def test_folded_mapping_merges_typographic_variants():
    frame = pd.DataFrame({"commune": ["St-Étienne", "st etienne", "ST ETIENNE", "Lyon"]})
    result = run("normalise_text", frame, columns=["commune"], match="folded",
                 mapping={"St Etienne": "Saint-Étienne"})
    assert result.out["commune"].tolist() == ["Saint-Étienne"] * 3 + ["Lyon"]
    assert result.quality["commune"]["mapped"] == 3


def test_canonical_list_corrects_typos_and_reports_unmatched():
    frame = pd.DataFrame({"commune": [
        "Saint-Etienne", "saint etiene", "Lyonn", "Lyon", "Villeurbane", "Paris", "Paris",
        "St Étienne", None,
    ]})
    result = run("normalise_text", frame, columns=["commune"], canonical=COMMUNES,
                 mapping={"st etienne": "Saint-Étienne"}, match="folded")
    assert result.out["commune"].tolist()[:8] == [
        "Saint-Étienne", "Saint-Étienne", "Lyon", "Lyon", "Villeurbanne", "Paris", "Paris",
        "Saint-Étienne",
    ]
    quality = result.quality["commune"]
    assert quality["corrected"] == 4
    assert "saint etiene -> Saint-Étienne" in quality["corrected_examples"]
    assert quality["unmatched"] == 2 and quality["unmatched_examples"] == ["Paris"]
    assert quality["mapped"] == 1


def test_fuzzy_limit_ties_and_unmatched_null():
    frame = pd.DataFrame({"commune": ["Lyonnnn", "Saint-Priast", "Saint-X"]})
    result = run("normalise_text", frame, columns=["commune"], canonical=COMMUNES,
                 max_distance=1, unmatched="null")
    assert result.out["commune"].isna().tolist() == [True, False, True]
    assert result.out["commune"][1] == "Saint-Priest"
    tie = run("normalise_text", pd.DataFrame({"c": ["Bron"]}), columns=["c"],
              canonical=["Brin", "Bran"], max_distance=1)
    assert tie.out["c"].tolist() == ["Bron"] and tie.quality["c"]["unmatched"] == 1


def test_no_fuzzy_when_max_distance_is_zero():
    result = run("normalise_text", pd.DataFrame({"c": ["Lyonn", "LYON"]}), columns=["c"],
                 canonical=["Lyon"], max_distance=0)
    assert result.out["c"].tolist() == ["Lyonn", "Lyon"]


def test_params_are_validated():
    with pytest.raises(ValidationError):
        run("normalise_text", pd.DataFrame({"a": ["x"]}), columns=["a"], casse="upper")
    with pytest.raises(ValidationError):
        run("normalise_text", pd.DataFrame({"a": ["x"]}), columns=["a"], case="shout")
    with pytest.raises(ValidationError):
        run("normalise_text", pd.DataFrame({"a": ["x"]}), columns="a")


def test_missing_column_names_the_column_and_the_available_ones():
    with pytest.raises(ProcessingError, match=r"'commune'.*available: nom, code"):
        run("normalise_text", pd.DataFrame({"nom": ["x"], "code": ["1"]}), columns=["commune"])


def test_non_text_column_is_handled_and_index_kept():
    frame = pd.DataFrame({"code": [1, 2, None]}, index=[7, 8, 9])
    out = run("normalise_text", frame, columns=["code"]).out
    assert out.index.tolist() == [7, 8, 9]
    assert out["code"].tolist()[:2] == ["1.0", "2.0"]


def test_collapse_spaces_replaces_only_where_needed_with_the_same_result():
    import numpy as np

    from hub.pipeline.processors._common import SPACES, collapse_spaces

    rng = np.random.default_rng(1)
    alphabet = ["a", "b", " ", "  ", "\t", "\n", "\u00a0", "\u202f", "\u2009", "\u2007", "\u3000"]
    for n in (0, 1, 5, 2000):
        values = ["".join(rng.choice(alphabet, rng.integers(0, 7))) for _ in range(n)] + [None]
        text = pd.Series(values, dtype="str", index=np.arange(len(values)) * 3, name="x")
        for column in (text, text.str.replace(SPACES + "+", "a", regex=True), text.str.strip()):
            expected = column.str.replace(SPACES + "+", " ", regex=True)
            pd.testing.assert_series_equal(collapse_spaces(column), expected)


FOLDING_CASES = ["Saint-Étienne", "Œuvre du cœur", "d’entraide", "ﬁnance", "x²", "Ǆemal",
                 "ñandú", "Ångström", "Straße", "\u00a0nbsp", "Ⅻ", "ｆｕｌｌ", "한국어", "Ø", "Đ",
                 "e\u0301te\u0301", "i\u0307", "a\u0323\u0302", "plain ascii", "", None]


def _any_number_of_folded_characters():
    """Let the per-character way take any text, so that the tests below compare it."""
    return patch.object(_common, "MAX_FOLDED_CHARACTERS", 10**6)


def test_accent_folding_per_character_equals_folding_whole_values():
    values = pd.Series(FOLDING_CASES, index=range(10, 10 + len(FOLDING_CASES)), dtype="str",
                       name="v")
    with _any_number_of_folded_characters():
        assert _common._accent_table(values) is not None  # the per-character way is taken
        pd.testing.assert_series_equal(_common.strip_accents(values), _common._strip_accents_whole(values))


def test_accent_folding_of_french_names_takes_the_per_character_way():
    values = pd.Series(["Amicale des aînés Noël", "Cœur de Saint-Étienne", "d’entraide",
                        "Société musicale Chloé", "Écully", "Hélène François"], dtype="str")
    assert set(_common._accent_table(values)) == {"î", "ë", "œ", "É", "é", "è", "ç"}
    assert _common.strip_accents(values).tolist() == [
        "Amicale des aines Noel", "Coeur de Saint-Etienne", "d’entraide",
        "Societe musicale Chloe", "Ecully", "Helene Francois"]


def test_accent_folding_takes_the_whole_way_when_a_character_keeps_a_combining_mark():
    # U+1D165 is a spacing combining mark (not Mn, so kept) that NFKD may move within a
    # string: folding it alone could differ from folding it in its value
    values = pd.Series(["e\U0001d165\u0301", "é"], dtype="str")
    assert _common._accent_table(values) is None
    pd.testing.assert_series_equal(_common.strip_accents(values), _common._strip_accents_whole(values))


def test_accent_folding_takes_the_whole_way_when_many_characters_change():
    vietnamese = "Tiếng Việt có dấu: ắằẳẵặấầẩẫậ ếềểễệ ốồổỗộ ớờởỡợ ứừửữự"
    values = pd.Series([vietnamese, "é"], dtype="str")
    assert _common._accent_table(values) is None
    assert _common.strip_accents(values).tolist() == [
        "Tieng Viet co dau: aaaaaaaaaa eeeee ooooo ooooo uuuuu", "e"]


@pytest.mark.parametrize("kind", ["large_string", "string"])
def test_non_ascii_characters_reads_only_the_values_in_view(kind):
    import pyarrow as pa

    array = pa.chunked_array([pa.array(["é", "ab", "ç", "€"], kind).slice(1, 2),
                              pa.array(["𝔸", None, ""], kind)])
    assert _common.non_ascii_characters(array) == {"ç", "𝔸"}


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=1, max_size=30))
def test_accent_folding_equals_folding_whole_values_on_any_text(texts):
    values = pd.Series(texts, dtype="str")
    with _any_number_of_folded_characters():
        pd.testing.assert_series_equal(_common.strip_accents(values), _common._strip_accents_whole(values))


FRENCH_NAMES = {
    "SAINT-ÉTIENNE-DE-TINÉE": "Saint-Étienne-de-Tinée",
    "LE MANS": "Le Mans",
    "L'ISLE-D'ABEAU": "L'Isle-d'Abeau",
    "LA ROCHE-SUR-YON": "La Roche-sur-Yon",
    "villers-lès-nancy": "Villers-lès-Nancy",
    "FONTAINE-LÈS-DIJON": "Fontaine-lès-Dijon",
    "SAINTE-MARIE-AUX-MINES": "Sainte-Marie-aux-Mines",
    "LES SABLES-D’OLONNE": "Les Sables-d’Olonne",
    "CHÂLONS-EN-CHAMPAGNE": "Châlons-en-Champagne",
    "SAINT-MARTIN-DE-LA-MER": "Saint-Martin-de-la-Mer",
    "SAINT-PIERRE-ET-MIQUELON": "Saint-Pierre-et-Miquelon",
    "JUVIGNY-SOUS-ANDAINE": "Juvigny-sous-Andaine",
    "SAINT-LAURENT-DU-VAR": "Saint-Laurent-du-Var",
    "MONTIGNY-LEZ-ARRAS": "Montigny-lez-Arras",
    "PONT-AU-BOIS": "Pont-au-Bois",
    "FONTENAY-AUX-ROSES": "Fontenay-aux-Roses",
    "ÎLE-DE-FRANCE": "Île-de-France",
    "DESVRES": "Desvres",  # a particle's letters starting a word are not a particle
    "ENTRE-DEUX-EAUX": "Entre-Deux-Eaux",
    "DE-ROCHE": "De-Roche",  # never the first word
    "BOIS-LE": "Bois-Le",  # a particle ends with a space or a hyphen
    "LYON 1ER ARRONDISSEMENT": "Lyon 1er Arrondissement",  # ordinals keep their suffix low
    "Marseille 2e Arrondissement": "Marseille 2e Arrondissement",
    "PARIS 16E": "Paris 16e",
    "1ER MAI": "1er Mai",
}


def test_title_fr_keeps_french_particles_in_lower_case_on_csv_text(tmp_path):
    from .connector_support import run as fetch
    lines = "\n".join(["nom", *FRENCH_NAMES, ""])  # the last row: an empty field, a null
    (tmp_path / "communes.csv").write_bytes(lines.encode("utf-8"))
    frame = fetch("csv", tmp_path, path="communes.csv").frame
    assert frame["nom"].dtype == "str"
    out = run("normalise_text", frame, columns=["nom"], case="title_fr").out["nom"]
    assert out.tolist()[:len(FRENCH_NAMES)] == list(FRENCH_NAMES.values())
    assert out.dtype == "str" and out.isna().sum() == len(frame) - len(FRENCH_NAMES)


@given(st.lists(st.text(alphabet="DELSAUXÈRZNTdelsauxèrznt '’-ÉÎ", max_size=14), max_size=20))
@settings(max_examples=200, deadline=None)
def test_title_fr_only_lowers_particle_initials(names):
    from hub.pipeline.processors._titles import PARTICLES, french_title
    values = pd.Series(names, dtype="str")
    out = french_title(values).tolist()
    titled = values.str.title().tolist()
    for before, after in zip(titled, out):
        assert after.lower() == before.lower() and len(after) == len(before)
        for i, (b, a) in enumerate(zip(before, after)):
            if a != b:  # the initial of a particle between separators (or before ' ’)
                assert i and before[i - 1] in " -"
                word = before[i:].replace("-", " ").split(" ")[0].lower()
                assert word in PARTICLES or word[:2] in ("d'", "d’", "l'", "l’")
