import pandas as pd
import pytest
from pydantic import ValidationError

from hub.pipeline.interfaces import ProcessingError

from .processor_support import run


def parse(values, **params):
    result = run("parse_numbers", pd.DataFrame({"v": values}), columns=["v"], **params)
    return result.out["v"].tolist(), result.quality.get("v", {})


def test_french_formats():
    values, quality = parse([
        "1 234,56", "1\u202f234,56", "1\u00a0234,56", "1.234,56", "12,5 %", "€ 3 400",
        "3 400 €", "−7,5", "+4", "0,5",
    ])
    assert values == [1234.56, 1234.56, 1234.56, 1234.56, 12.5, 3400.0, 3400.0, -7.5, 4.0, 0.5]
    assert quality == {}


def test_auto_decimal_is_decided_per_column():
    assert parse(["1.234", "2,5"])[0] == [1234.0, 2.5]  # a comma column: dots group thousands
    assert parse(["1.234", "2.50", "1,234.5"])[0] == [1.234, 2.5, 1234.5]  # a dot column
    assert parse(["1 234,56", "3.14"])[0] == [1234.56, 3.14]  # merged sources still read


def test_explicit_decimal_has_no_fallback():
    values, quality = parse(["1,5", "1.5"], decimal=",")
    assert values[0] == 1.5 and pd.isna(values[1])
    assert quality["unparseable_numbers"] == 1


def test_unparseable_counted_null_tokens_not():
    values, quality = parse(["abc", "12 34", "1,2,3", "nc", "s", "-", "", None, "12"])
    assert [pd.isna(v) for v in values] == [True] * 8 + [False]
    assert quality == {"unparseable_numbers": 3,
                       "unparseable_numbers_examples": ["abc", "12 34", "1,2,3"]}


def test_percent_parentheses_units_integer():
    assert parse(["12,5 %", "(1 200)"], percent="fraction", parentheses_negative=True)[0] \
        == [0.125, -1200.0]
    assert pd.isna(parse(["(12)"])[0][0])
    assert parse(["12 km", "3,5 km"], units=["km"])[0] == [12.0, 3.5]
    values, quality = parse(["12", "1 200", "2,5"], integer=True)
    assert values[:2] == [12, 1200] and pd.isna(values[2])
    assert quality["unparseable_numbers"] == 1


def test_numeric_columns_pass_through():
    out = run("parse_numbers", pd.DataFrame({"v": [1, 2]}), columns=["v"]).out
    assert out["v"].dtype == "float64" and out["v"].tolist() == [1.0, 2.0]


def test_params_and_missing_column():
    with pytest.raises(ValidationError):
        parse(["1"], decimal=";")
    with pytest.raises(ValidationError):
        parse(["1"], separateur=",")
    with pytest.raises(ProcessingError, match=r"'montant'.*available: v"):
        run("parse_numbers", pd.DataFrame({"v": ["1"]}), columns=["montant"])


def test_fast_float_reading_has_pandas_bits():
    """_to_float casts short decimals with pyarrow: same bits as pd.to_numeric, -0 included."""
    import numpy as np

    from hub.pipeline.processors.numeric import _to_float

    rng = np.random.default_rng(5)
    digits = [str(x)[: rng.integers(1, 15)] for x in rng.integers(0, 10**15, 20_000)]
    values = [f"{'-' if i % 3 == 0 else ''}{d[:i % len(d)]}{'.' if i % len(d) else ''}"
              f"{d[i % len(d):]}" for i, d in enumerate(digits)] + [None, "-0", "0.0"]
    for column in (values, values + ["12345678901234567"], values + ["1e5"], [None], []):
        text = pd.Series(column, dtype="str")
        fast = _to_float(text).to_numpy()
        slow = pd.to_numeric(text, errors="coerce").astype("float64").to_numpy()
        assert fast.dtype == slow.dtype and fast.tobytes() == slow.tobytes()


@pytest.mark.parametrize("params", [
    {}, {"decimal": ","}, {"units": ["k"]}, {"units": ["1"]}, {"null_values": ["0", "n/a"]},
    {"parentheses_negative": True, "percent": "fraction"}, {"thousands": "none"},
])
def test_the_plain_shape_short_cut_gives_the_long_way_s_core(params):
    import numpy as np

    from hub.pipeline.processors.numeric import ParseNumbers

    rng = np.random.default_rng(0)
    alphabet = list("0123456789") * 3 + [" ", "\u00a0", "\u202f", "  ", ",", ".", "'", "€",
                                         "EUR", "-", "−", "+", "%", "(", ")", "e", "n/a"]
    values = ["".join(rng.choice(alphabet, rng.integers(0, 9))) for _ in range(20_000)]
    text = pd.Series(values + ["1 234,56 €", "1\u00a0234.5\u00a0€", "12€", "0", None, ""],
                     dtype="str")
    processor = ParseNumbers(ParseNumbers.Params(columns=["x"], **params))
    for short_cut, long_way in zip(processor._core(text), processor._decorated_core(text)):
        pd.testing.assert_series_equal(short_cut, long_way)
