"""Issue 21: what a person does shapes their picks at once. A like or "been there" re-embeds the
stored user from their new history in the same call (no retraining), the reason names the liked
place, "not for me" removes the pick, an ad-hoc profile's session likes count the same way, and a
stored user's vector is always the user tower applied to their profile and stored history: on
save, on feedback and when profiles are re-embedded after a model change."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

from recsys.data.contract import split_multilabel
from recsys.serving.profile_store import MAX_HISTORY_KEPT, history_event
from recsys.serving.query import Query

pytestmark = pytest.mark.integration


def wide_query(service, k: int = 10) -> Query:
    """Every place of the small demo city, open or not: the ranking alone decides."""
    items = service.catalogue()
    return Query(lat=float(items["lat"].mean()), lon=float(items["lon"].mean()), radius_m=20_000, open_only=False, k=k)


def share(results, label: str) -> float:
    return sum(label in r.cuisines for r in results.items) / max(len(results.items), 1)


def a_kitchen_the_list_lacks(service, results) -> tuple[str, list[str]]:
    """A cuisine with plenty of places that the current top list barely shows, and three of its places."""
    items = service.catalogue()
    counts = Counter(label for value in items["cuisines"] for label in split_multilabel(value))
    shown = {r.item_id for r in results.items}
    for label, count in counts.most_common():
        if count >= 15 and share(results, label) <= 0.1:
            places = [i for i, c in zip(items["item_id"], items["cuisines"])
                      if label in split_multilabel(c) and i not in shown]
            return label, places[:3]
    raise AssertionError("the demo catalogue has no kitchen missing from the list")


def stored_vector(service, user_id: str) -> np.ndarray:
    return np.asarray(service.get_profile(user_id)["embedding"], dtype=np.float32)


def test_three_likes_re_embed_the_user_at_once_and_move_the_picks_toward_that_kitchen(service):
    user = service.save_profile({"name": "Hana History", "likes": ["pizza"], "price_bracket": "middle"})["user_id"]
    query = wide_query(service, k=30)
    before, vector_before = service.recommend(query, user_id=user), stored_vector(service, user)
    label, places = a_kitchen_the_list_lacks(service, before)
    for place in places:
        service.record_feedback(user, place, "liked")
    after = service.recommend(query, user_id=user)
    assert not np.allclose(stored_vector(service, user), vector_before)  # the stored vector moved
    assert share(after, label) > share(before, label), (label, share(before, label), share(after, label))
    liked_names = set(service.catalogue().set_index("item_id").loc[places, "name"])
    reasons = [r.reason for r in after.items if label in r.cuisines]
    assert any(any(f"because you liked {name}" in reason for name in liked_names) for reason in reasons), reasons


def test_the_stored_vector_is_the_tower_on_profile_and_history(service):
    """One code path: what feedback stored equals embedding the profile with its history now."""
    user = service.save_profile({"name": "Ivo Inference", "likes": ["thai"], "price_bracket": "budget"})["user_id"]
    items = service.catalogue()["item_id"].tolist()
    for place in items[:4]:
        service.record_feedback(user, place, "been_there")
    doc = service.get_profile(user)
    # Marked in the app, so explicit (see test_likes_given_in_the_app_count_more_than_...)
    history = pd.DataFrame({"user_id": user, "item_id": items[:4], "weight": 1.0, "timestamp": np.arange(4.0),
                            "explicit": True})
    expected = service.model.embed_users(pd.DataFrame([{**doc, "likes": "|".join(doc["likes"])}]), history)[0]
    np.testing.assert_allclose(stored_vector(service, user), expected, rtol=1e-5, atol=1e-6)
    # A model change re-embeds every stored profile the same way: mark it stale and re-sync.
    service.client.execute_command("JSON.SET", service.users.key(user), "$.model_version", '"an-older-model"')
    service.client.execute_command("JSON.SET", service.users.key(user), "$.embedding",
                                   str([0.0] * len(expected)))
    service.ensure_indexed()
    np.testing.assert_allclose(stored_vector(service, user), expected, rtol=1e-5, atol=1e-6)


def test_not_for_me_removes_the_pick_at_once_and_a_later_like_brings_it_back(service):
    user = service.save_profile({"name": "Nell Nope", "likes": ["mexican"], "price_bracket": "middle"})["user_id"]
    query = wide_query(service)
    top = service.recommend(query, user_id=user).items[0].item_id
    service.record_feedback(user, top, "not_for_me")
    assert top not in [r.item_id for r in service.recommend(query, user_id=user).items]
    service.record_feedback(user, top, "liked")
    assert service.feedback.dismissed(user) == []


ADHOC = {"likes": ["pizza"], "price_bracket": "middle"}


def session_feedback_moves_the_list(service, event: str):
    """An ad-hoc profile gives three places of a kitchen its list lacks as session ``event``
    ("liked" or "visited"); that kitchen's share must grow. (query, places, results after)."""
    query = wide_query(service, k=30)
    before = service.recommend(query, profile=ADHOC)
    label, places = a_kitchen_the_list_lacks(service, before)
    after = service.recommend(query, profile=ADHOC, **{event: places})
    assert share(after, label) > share(before, label), (label, share(before, label), share(after, label))
    return query, places, after


def test_an_ad_hoc_profiles_session_likes_move_its_picks_and_hidden_ones_go(service):
    profile = ADHOC
    query, places, after = session_feedback_moves_the_list(service, "liked")
    assert any(r.reason.startswith("because you liked") for r in after.items)
    hidden = after.items[0].item_id
    assert hidden not in [r.item_id for r in service.recommend(query, profile=profile, liked=places, hidden=[hidden]).items]
    with pytest.raises(ValueError, match="liked"):
        service.recommend(query, profile=profile, liked=["a,b"])  # "," is the tag separator: never an id


def test_an_ad_hoc_profiles_been_there_is_a_visit_not_a_like(service):
    """Issue 21: "Been there" on an ad-hoc profile moves its picks as a visit: the place says "you
    have been here", another pick "because you went to ...", and a visit weighs what a stored
    user's visit weighs (FEEDBACK_EVENTS), not what a like does."""
    profile = ADHOC
    query, places, after = session_feedback_moves_the_list(service, "visited")
    whys = {r.item_id: r.why for r in after.items}
    assert [whys[p] for p in places if p in whys] == ["you have been here"] * len([p for p in places if p in whys])
    assert any(w.startswith("because you went to ") for w in whys.values()), whys
    assert not [w for w in whys.values() if "liked" in w], whys
    # One liked and one visited place: not the same vector as two likes (the visit weighs less).
    mixed = service.embed_profile(profile, liked=places[:1], visited=places[1:2])
    assert not np.allclose(mixed, service.embed_profile(profile, liked=places[:2]))
    with pytest.raises(ValueError, match="visited"):
        service.recommend(query, profile=profile, visited=["a,b"])


def test_feedback_on_unknown_items_and_a_huge_history_still_embed(service):
    user = service.save_profile({"name": "Max Many", "likes": ["sushi"], "price_bracket": "upscale"})["user_id"]
    items = service.catalogue()["item_id"].tolist()
    pipe = service.client.pipeline(transaction=False)
    service.users.push_history(pipe, user, [history_event(items[i % len(items)], 1.0, i) for i in range(10_000)])
    pipe.execute()
    assert service.client.llen(service.users.history_key(user)) == MAX_HISTORY_KEPT  # bounded
    service.record_feedback(user, "deleted-place-123", "liked")  # an id the catalogue does not have
    vector = stored_vector(service, user)
    assert np.isfinite(vector).all() and service.recommend(wide_query(service), user_id=user).items


def test_feedback_whose_re_embedding_fails_reports_the_recorded_event_not_an_error(service, monkeypatch):
    """The pattern of issue 19 item 13 on the new path: the event was written, then reading the
    profile back to re-embed it failed; the caller must not be told the feedback failed (a retry
    would record it twice). The next feedback re-embeds from the whole history."""
    from recsys.serving.connection import RedisUnavailableError

    user = service.save_profile({"name": "Rita Retry", "likes": ["thai"], "price_bracket": "middle"})["user_id"]
    place = service.catalogue()["item_id"].iat[0]

    def gone(_user_id):
        raise RedisUnavailableError("redis://127.0.0.1:1/0", "connection lost (simulated)", "retry")

    monkeypatch.setattr(service.users, "get", gone)
    entry = service.record_feedback(user, place, "liked")
    monkeypatch.undo()
    events = service.feedback.events()
    assert entry and list(events[events["user_id"] == user]["item_id"]) == [place]  # recorded once
    before = stored_vector(service, user)
    service.record_feedback(user, service.catalogue()["item_id"].iat[1], "liked")
    assert not np.allclose(stored_vector(service, user), before)


def test_likes_given_in_the_app_count_more_than_the_same_places_as_logged_visits(service):
    """A like in the app is someone saying what they want now; a logged visit (the dataset's, an
    import's) is weaker evidence and keeps the validated feedback weight. The same three places
    move a profile further as likes than as logged visits, on the stored and the ad-hoc path."""
    query = wide_query(service, k=30)
    liker = service.save_profile({"name": "Lena Likes", "likes": ["pizza"]})["user_id"]
    logger = service.save_profile({"name": "Lena Logged", "likes": ["pizza"]})["user_id"]
    label, places = a_kitchen_the_list_lacks(service, service.recommend(query, user_id=liker))
    pipe = service.client.pipeline(transaction=False)
    service.users.push_history(pipe, logger, [history_event(p, 2.0, n) for n, p in enumerate(places)])
    pipe.execute()
    assert service._reembed_user(logger)
    for place in places:
        service.record_feedback(liker, place, "liked")
    liked_vector, logged_vector = stored_vector(service, liker), stored_vector(service, logger)
    taste = service.model.embed_items(service.catalogue().set_index("item_id").loc[places].reset_index())
    toward = taste[:, :service.model.config.tower.embedding_dim].mean(axis=0)
    dim = len(toward)
    assert liked_vector[:dim] @ toward > logged_vector[:dim] @ toward + 0.05
    assert share(service.recommend(query, user_id=liker), label) > share(service.recommend(query, user_id=logger), label)
    adhoc = service.embed_profile({"likes": ["pizza"]}, liked=places)  # session likes are likes too
    assert adhoc[:dim] @ toward > logged_vector[:dim] @ toward + 0.05


def test_more_like_these_leaves_out_what_the_person_said_not_for_me_to(service):
    """QA: "More like these" brought back a place marked "Not for me" (on an ad-hoc profile, with
    `hidden=` in the link). What a person dismissed stays out of every list they see: the ad-hoc
    profile's hidden places and a stored user's "not for me"."""
    query = wide_query(service, k=30)
    base = service.recommend(query, profile={"likes": ["pizza"], "price_bracket": "middle"}).items
    chosen = [base[0].item_id]
    similar = [r.item_id for r in service.more_like(chosen, query).items]
    hidden = similar[:3]
    again = [r.item_id for r in service.more_like(chosen, query, hidden=hidden).items]
    assert again and not set(hidden) & set(again), (hidden, again)
    user = service.save_profile({"name": "Mo More", "likes": ["pizza"], "price_bracket": "middle"})["user_id"]
    service.record_feedback(user, similar[0], "not_for_me")
    theirs = [r.item_id for r in service.more_like(chosen, query, user_id=user).items]
    assert theirs and similar[0] not in theirs, theirs
