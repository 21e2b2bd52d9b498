"""Profiles and policy as rules: every tool has a family, presets are what they say, and what people send
is read strictly (a 422 naming the field), before anything is stored."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.errors import ApiError, ToolArgumentError
from server.policy import ALL, CORE, CORE_TOOLS, EVERYTHING, FAMILIES, NEW_CONNECTION, Policy, Profile
from server.policy import input as policy_input
from server.tools import build_registry
from server.tools.access import models_named, refusal
from server.tools.spec import ToolCall
from storage.repository import StoredPolicy

REGISTRY = build_registry()
SPECS = {spec.name: spec for spec in REGISTRY}
MANAGE = "https://mcp.example/manage"

# A preset may name a tool another change is adding; each such tool is named here, and nowhere else.
NOT_REGISTERED_YET: set[str] = set()  # every core tool is registered


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_tool_names_one_known_family(name: str) -> None:
    assert SPECS[name].family in FAMILIES, f"{name}: set family= to one of {sorted(FAMILIES)}"


def test_every_family_but_audio_has_tools_today() -> None:
    assert {spec.family for spec in REGISTRY} >= FAMILIES.keys() - {"audio"}


def test_core_is_at_most_ten_tools_all_registered_but_the_ones_on_their_way() -> None:
    assert len(CORE_TOOLS) <= 10
    assert CORE_TOOLS - SPECS.keys() <= NOT_REGISTERED_YET


def test_core_lists_its_tools_and_all_lists_every_tool() -> None:
    assert [s.name for s in REGISTRY.visible(Policy(CORE))] == [n for n in SPECS if n in CORE_TOOLS]
    assert [s.name for s in REGISTRY.visible(Policy(ALL))] == list(SPECS)
    assert REGISTRY.listing(EVERYTHING).tools == REGISTRY.listing().tools
    assert len(REGISTRY.listing(NEW_CONNECTION).tools) == len(CORE_TOOLS & SPECS.keys())


def test_families_list_exactly_their_tools() -> None:
    policy = Policy(Profile.of_families({"embeddings", "models"}))
    assert {s.name for s in REGISTRY.visible(policy)} == {
        name for name, spec in SPECS.items() if spec.family in {"embeddings", "models"}
    }


def test_read_only_hides_every_tool_that_changes_something() -> None:
    shown = REGISTRY.visible(Policy(ALL, read_only=True))
    assert shown and all(spec.read_only for spec in shown)
    assert "mistral_delete_file" not in {spec.name for spec in shown}
    assert {"mistral_list_files", "mistral_chat", "mistral_function_call", "mistral_code_complete"} <= {
        spec.name for spec in shown
    }  # a completion changes nothing at Mistral


def test_listings_are_built_once_per_profile_and_read_only_setting() -> None:
    first = REGISTRY.listing(Policy(CORE, calls_per_day=5))
    assert REGISTRY.listing(Policy(CORE, allowed_models=frozenset({"m"}))) is first
    assert REGISTRY.listing(Policy(CORE, read_only=True)) is not first


@pytest.mark.parametrize(
    "policy",
    [
        EVERYTHING,
        NEW_CONNECTION,
        Policy(Profile.of_families({"jobs", "agents"}), read_only=True, allowed_models=frozenset({"a", "ft:b:c"})),
        Policy(ALL, calls_per_day=10, tokens_per_month=10**12),
    ],
)
def test_a_policy_reads_back_as_it_was_stored(policy: Policy) -> None:
    assert Policy.from_stored(policy.stored()) == policy


def test_rows_from_before_profiles_keep_every_tool_and_no_limit() -> None:
    assert Policy.from_stored(StoredPolicy()) == EVERYTHING


def test_a_stored_family_a_later_version_dropped_is_skipped() -> None:
    assert Profile.from_stored("embeddings,teleportation") == Profile.of_families({"embeddings"})
    assert Profile.from_stored("teleportation") == CORE


# --- what people send ---


def update(body: dict[str, Any], current: Policy = NEW_CONNECTION) -> Policy:
    return policy_input.update(body, current)


def test_the_api_chooses_a_preset_or_families() -> None:
    assert update({}).profile == CORE
    assert update({"profile": "all"}).profile == ALL
    assert update({"families": ["embeddings"]}).profile == Profile.of_families({"embeddings"})
    assert update({"profile": "custom", "families": ["jobs"]}).profile == Profile.of_families({"jobs"})
    assert update({"profile": "core", "families": None}, EVERYTHING).profile == CORE


def test_fields_left_out_stay_and_null_lifts_a_limit() -> None:
    current = Policy(ALL, read_only=True, allowed_models=frozenset({"m"}), calls_per_day=3, tokens_per_month=9)
    assert update({"calls_per_day": 4}, current) == Policy(ALL, True, frozenset({"m"}), 4, 9)
    assert update({"allowed_models": None, "tokens_per_month": None}, current) == Policy(ALL, True, None, 3, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"profile": "most"}, "profile"),
        ({"profile": 1}, "profile"),
        ({"profile": "custom"}, "families"),
        ({"families": []}, "families"),
        ({"families": ["embeddings", "teleportation"]}, "families"),
        ({"families": "embeddings"}, "families"),
        ({"profile": "core", "families": ["embeddings"]}, "families"),
        ({"read_only": "yes"}, "read_only"),
        ({"allowed_models": []}, "allowed_models"),
        ({"allowed_models": ["  "]}, "allowed_models"),
        ({"allowed_models": ["mistral small"]}, "allowed_models"),
        ({"allowed_models": "mistral-small-latest"}, "allowed_models"),
        ({"allowed_models": [f"m{i}" for i in range(51)]}, "allowed_models"),
        ({"calls_per_day": -1}, "calls_per_day"),
        ({"calls_per_day": 0}, "calls_per_day"),
        ({"calls_per_day": 2.5}, "calls_per_day"),
        ({"calls_per_day": True}, "calls_per_day"),
        ({"calls_per_day": "10"}, "calls_per_day"),
        ({"tokens_per_month": -5}, "tokens_per_month"),
        ({"tokens_per_month": 10**16}, "tokens_per_month"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ApiError) as caught:
        update(body)
    assert caught.value.status == 422
    assert caught.value.code == f"invalid_{field}"
    assert f"'{field}'" in caught.value.message


def test_the_form_reads_radio_buttons_boxes_and_number_fields() -> None:
    form = {
        "profile": "custom",
        "family_embeddings": "on",
        "family_documents": "on",
        "read_only": "on",
        "allowed_models": "mistral-small-latest, ft:a:b  codestral-latest",
        "calls_per_day": " 1,000 ",
        "tokens_per_month": "",
    }
    assert policy_input.form_update(form, EVERYTHING) == Policy(
        Profile.of_families({"embeddings", "documents"}),
        read_only=True,
        allowed_models=frozenset({"mistral-small-latest", "ft:a:b", "codestral-latest"}),
        calls_per_day=1000,
        tokens_per_month=None,
    )
    assert policy_input.form_update({"profile": "all"}, Policy(CORE, read_only=True, calls_per_day=3)) == Policy(ALL)
    assert policy_input.form_profile({"family_jobs": "on"}, CORE) == Profile.of_families({"jobs"})
    assert policy_input.form_profile({}, CORE) == CORE


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"profile": "custom"}, "families"),
        ({"profile": "core", "family_jobs": "on"}, "families"),
        ({"profile": "everything"}, "profile"),
        ({"profile": "all", "calls_per_day": "-3"}, "calls_per_day"),
        ({"profile": "all", "tokens_per_month": "lots"}, "tokens_per_month"),
    ],
)
def test_a_bad_form_is_a_422_naming_the_field(form: dict[str, str], field: str) -> None:
    with pytest.raises(ApiError) as caught:
        policy_input.form_update(form, NEW_CONNECTION)
    assert (caught.value.status, caught.value.code) == (422, f"invalid_{field}")


# --- what a call may do ---


def test_a_hidden_tool_is_refused_with_how_to_enable_it() -> None:
    message = refusal(SPECS["mistral_list_files"], {}, NEW_CONNECTION, MANAGE)
    assert message is not None
    assert "not enabled" in message and MANAGE in message and "'documents'" in message
    assert refusal(SPECS["mistral_chat"], {}, NEW_CONNECTION, MANAGE) is None


def test_read_only_refuses_what_changes_something() -> None:
    message = refusal(SPECS["mistral_delete_file"], {"file_id": "f"}, Policy(ALL, read_only=True), MANAGE)
    assert message is not None and "read-only" in message and MANAGE in message


def test_models_named_are_the_model_arguments_and_inline_batch_bodies() -> None:
    arguments = {
        "model": "a",
        "models": ["b", 3],
        "requests": [{"body": {"model": "c"}}, {"body": {}}, "junk", {"custom_id": "x"}],
    }
    assert models_named(arguments) == ["a", "b", "c"]
    assert models_named(None) == []


def test_a_model_outside_the_allow_list_is_refused_naming_the_allowed_ones() -> None:
    policy = Policy(ALL, allowed_models=frozenset({"mistral-small-latest", "codestral-latest"}))
    message = refusal(SPECS["mistral_chat"], {"model": "mistral-large-latest"}, policy, MANAGE)
    assert message is not None
    assert "'mistral-large-latest'" in message and "codestral-latest, mistral-small-latest" in message
    assert refusal(SPECS["mistral_chat"], {"model": "codestral-latest"}, policy, MANAGE) is None


def test_a_model_argument_that_only_filters_a_listing_is_not_refused() -> None:
    policy = Policy(ALL, allowed_models=frozenset({"mistral-small-latest"}))
    assert refusal(SPECS["mistral_list_fine_tuning_jobs"], {"model": "open-mistral-7b"}, policy, MANAGE) is None


@pytest.mark.anyio
async def test_a_default_model_outside_the_allow_list_is_refused_before_anything_is_sent() -> None:
    spec = SPECS["mistral_embed"]
    call = ToolCall({"input": "x"}, upstream=None, api_key="k", spec=spec, allowed_models=frozenset({"m"}))  # type: ignore[arg-type]  # never sent
    with pytest.raises(ToolArgumentError, match=r"'mistral-embed'.*Allowed models: m"):
        await spec.execute(call)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
FIELD_VALUES = st.dictionaries(
    st.sampled_from(sorted(policy_input.POLICY_FIELDS)),
    JSON | st.sampled_from(["core", "all", "custom"]) | st.lists(st.sampled_from([*FAMILIES, "x"]), max_size=3),
)


@given(body=FIELD_VALUES)
def test_any_json_is_a_policy_or_a_422(body: dict[str, Any]) -> None:
    outcome: Policy | ApiError
    try:
        outcome = update(body)
    except ApiError as error:
        outcome = error
    if isinstance(outcome, ApiError):
        assert outcome.status == 422 and outcome.code.startswith("invalid_")
    else:
        assert Policy.from_stored(outcome.stored()) == outcome


@given(
    form=st.dictionaries(
        st.sampled_from(
            [
                "profile",
                "read_only",
                "allowed_models",
                "calls_per_day",
                "tokens_per_month",
                *(f"family_{f}" for f in FAMILIES),
            ]
        ),
        st.text(),
    )
)
def test_any_form_is_a_policy_or_a_422(form: dict[str, str]) -> None:
    try:
        policy_input.form_update(form, NEW_CONNECTION)
    except ApiError as error:
        status = error.status
    else:
        status = 200
    assert status in {200, 422}


def test_the_core_families_are_those_of_the_core_tools() -> None:
    from server.policy import CORE_FAMILIES, CORE_TOOLS
    from server.tools import build_registry

    registry = build_registry()
    assert {registry.get(name).family for name in CORE_TOOLS if registry.get(name) is not None} == CORE_FAMILIES
