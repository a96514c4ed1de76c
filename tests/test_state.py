"""Settings <-> URL: every page's fields round-trip, and any tampered link decodes without raising."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnnviz import kernels, state

PAGES = list(state.PAGES)


def values(field: state.Field) -> st.SearchStrategy:
    """Valid values for one field, drawn from what fields() says about it."""
    if field.choices is not None:
        return st.sampled_from(field.choices)
    if field.kind is bool:
        return st.booleans()
    if field.kind is int:
        ints = st.integers(int(field.low), int(field.high))
        return ints.filter(lambda v: _valid(field, v))
    if field.kind is float:
        return st.floats(field.low, field.high, allow_nan=False, allow_infinity=False)
    rows = st.integers(1, kernels.MAX_KERNEL_SIZE).flatmap(
        lambda w: st.lists(st.lists(st.integers(-9, 9), min_size=w, max_size=w), min_size=1, max_size=3)
    )
    return rows.map(lambda r: "\n".join(" ".join(map(str, row)) for row in r))


def _valid(field: state.Field, value) -> bool:
    try:
        field.validate(value)
    except ValueError:
        return False
    return True


def settings(page: str) -> st.SearchStrategy:
    return st.fixed_dictionaries({f.name: values(f) for f in state.fields(page)})


@pytest.mark.parametrize("page", PAGES)
def test_an_empty_link_gives_the_defaults(page):
    assert state.decode(page, {}) == (state.defaults(page), [])
    assert state.encode(page, state.defaults(page)) == {}


@pytest.mark.parametrize("page", PAGES)
def test_defaults_are_valid_values(page):
    for field in state.fields(page):
        assert field.validate(field.default) == field.default


@pytest.mark.parametrize("page", PAGES)
@given(data=st.data())
def test_every_valid_setting_round_trips(page, data):
    chosen = data.draw(settings(page))
    params = state.encode(page, chosen)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    assert state.decode(page, params) == (chosen, [])


@pytest.mark.parametrize("page", PAGES)
@given(params=st.dictionaries(st.text(max_size=20), st.text(max_size=300), max_size=8))
def test_any_tampered_link_decodes_to_valid_settings(page, params):
    decoded, problems = state.decode(page, params)
    assert set(decoded) == set(state.defaults(page))
    for field in state.fields(page):
        field.validate(decoded[field.name])
    bad = [k for k in params if k not in state.GLOBAL_PARAMS]
    assert len(problems) <= len(bad)
    assert all(p[0].isupper() and p.endswith(".") for p in problems)


@pytest.mark.parametrize(
    "params, named",
    [
        ({"pg_stride": "99"}, "pg_stride='99'"),
        ({"pg_stride": "two"}, "is not a number"),
        ({"pg_stride": "1.5"}, "is not a whole number"),
        ({"pg_bias": "nan"}, "is not a finite number"),
        ({"pg_kernel": "Bogus"}, "pg_kernel='Bogus'"),
        ({"pg_weights": " ".join(["1"] * 10_000)}, "too long"),
        ({"pg_weights": "1 2\n3"}, "same number of values"),
        ({"pg_sneaky": "1"}, "'pg_sneaky' is not one of this page's"),
        ({"fm_rot": "7"}, "not a multiple of 5"),
    ],
)
def test_each_bad_value_is_named_and_falls_back(params, named):
    page = "feature-maps" if "fm_rot" in params else "playground"
    decoded, problems = state.decode(page, {"pg_padding": "2", **params} if page == "playground" else params)
    assert len(problems) == 1 and named in problems[0]
    name = next(iter(params))
    if name in decoded:
        assert decoded[name] == state.defaults(page)[name]
    if page == "playground":
        assert decoded["pg_padding"] == 2  # the rest of the link still applies


def test_run_time_choices_narrow_a_field():
    decoded, problems = state.decode("feature-maps", {"fm_model": "session:mine"}, {"fm_model": ["lenet5"]})
    assert decoded["fm_model"] == "lenet5" and "session:mine" in problems[0]
    decoded, problems = state.decode(
        "feature-maps", {"fm_model": "session:mine"}, {"fm_model": ["lenet5", "session:mine"]}
    )
    assert decoded["fm_model"] == "session:mine" and problems == []


def test_global_parameters_are_not_unknown():
    assert state.decode("pooling", {"present": "1", "show": "pool_kernel", "lesson": "x", "step": "3"}) == (
        state.defaults("pooling"),
        [],
    )


def test_unknown_page_is_a_clear_error():
    with pytest.raises(KeyError, match="No page 'nope'"):
        state.fields("nope")


def test_links_carry_the_settings_and_the_visible_controls():
    settings = {**state.defaults("pooling"), "pool_kernel": 3}
    assert state.link("http://h/pooling", "pooling", state.defaults("pooling")) == "http://h/pooling"
    assert state.link("http://h/pooling", "pooling", settings) == "http://h/pooling?pool_kernel=3"
    shared = state.link("http://h/pooling", "pooling", settings, show=["pool_kernel", "pool_step"])
    assert shared == "http://h/pooling?pool_kernel=3&show=pool_kernel%2Cpool_step"
    assert state.title("pool_kernel") == "kernel" and state.title("fm_filter_layer") == "filter layer"


def test_every_link_parameter_is_documented():
    design = (Path(__file__).resolve().parents[1] / "docs" / "design.md").read_text()
    missing = [f.name for page in PAGES for f in state.fields(page) if f"`{f.name}`" not in design]
    assert not missing, f"add these to docs/design.md's link format: {missing}"


def test_choices_named_here_match_the_modules_that_own_them():
    from cnnviz import explain, models, pooling

    assert state.EXPLANATIONS == tuple(explain.EXPLANATIONS)
    assert set(state.MODELS) <= set(models.MODELS) and set(state.FM_VIEWS) and pooling.MODES
