"""The profile record as the user tower reads it: its fields and how a profile is normalised."""

from __future__ import annotations

import uuid

PROFILE_FIELDS = ("user_id", "name", "likes", "price_bracket", "home_neighbourhood", "home_lat", "home_lon",
                  "newsletter", "notifications", "profile_visibility", "data_sharing")


def normalise_profile(profile: dict) -> dict:
    """A profile as the user tower reads it: likes joined with '|', an id, known fields only."""
    out = {k: profile.get(k) for k in PROFILE_FIELDS if k in profile}
    likes = out.get("likes")
    if isinstance(likes, (list, tuple, set)):
        out["likes"] = "|".join(likes)
    out["user_id"] = str(out.get("user_id") or f"p-{uuid.uuid4().hex[:10]}")
    out["name"] = str(out.get("name") or "").strip() or "Anonymous"
    return out
