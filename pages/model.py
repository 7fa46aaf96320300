"""Model: the model card, metrics against the baselines, retraining, and a map of the embeddings."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from recsys.ml.evaluation import CURVE_KEY
from recsys.ml.training import TrainConfig, describe_cold_mix
from ui.router import start_page
from ui.services import guard

ROW_PX = 35  # the height of a row in st.dataframe: a table height of (rows + 1) x this shows every row

service = start_page("Model")
model = service.model
card = model.card
tower = model.config.tower

st.subheader("Model card")
counts = card.counts
c1, c2, c3, c4 = st.columns(4)
c1.metric("Model id", service.loaded.model_id)
c2.metric("Trained on", f"{counts.get('interactions', 0):,} visits")
c3.metric("Training time", f"{card.train_seconds:.1f} s")
c4.metric("Best epoch", card.best_epoch or "?")
selection = card.selection
kind = ("features" + (f" + the newest {tower.history_len} visits ({tower.history_dim}-d each)" if tower.history_dim else "")
        + (f" + id embeddings {tower.id_dim}-d" if tower.id_dim else ""))
extra_slots = model.dim - tower.embedding_dim  # the bias, popularity and any segment slots
bias = (f"a learned item bias (popularity) added to the score, served with the items' log-popularity as "
        f"{extra_slots} extra vector slots" + (" (the last ones: popularity among users like them)"
                                               if model.config.cold_segment else "")
        if tower.item_bias else "no item bias (pure cosine)")
st.caption(f"Trained {card.trained_at or '?'} on {counts.get('users', '?')} users × {counts.get('items', '?')} "
           f"restaurants (data fingerprint `{card.data_fingerprint or '?'}`). "
           f"Two towers (MLP {tower.hidden}, {kind}) → {tower.embedding_dim}-d unit vectors, {bias}; "
           f"in-batch softmax with logQ correction, temperature {model.config.temperature}.")
if selection:
    st.markdown(f"**Chosen variant: {selection.get('chosen')}** — {selection.get('reason', '')}.")
    rows = [{"variant": name, "validation score": v.get("score"), "warm users recall": v.get("val_warm"),
             "new users recall": v.get("val_cold"), "best epoch": v.get("best_epoch"), "seconds": v.get("seconds"),
             "stopped early": v.get("pruned", "")}
            for name, v in selection.get("variants", {}).items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
if tower.item_bias:
    # What is served comes from the validated config; the card's record is only shown as text.
    cold = card.cold_mix
    recalls = cold.get("val_cold") if isinstance(cold.get("val_cold"), dict) else {}
    tried = ", ".join(f"({mix}) {recall:.4f}" for mix, recall in recalls.items()  # numbers only reach Markdown
                      if re.fullmatch(r"[0-9.,e+-]{1,40}", str(mix)) and isinstance(recall, (int, float))
                      and not isinstance(recall, bool))
    st.markdown(f"**New profiles** are ranked by {describe_cold_mix(model.config.cold_mix)}"
                + (f": best new-user Recall@10 on held-out users among (taste, bias, popularity, segment "
                   f"popularity) mixes: {tried}." if tried else "."))
    if model.config.cold_segment:  # a column name from the dataset's schema: plain text, not Markdown
        st.text(f"Users like them: those with the same {model.config.cold_segment}")
    if isinstance(cold.get("reason"), str):
        st.text(f"Why this mix: {cold['reason']}")
if tower.history_dim or model.config.feedback_weight:
    prior = model.config.history_prior
    st.markdown("**What a person did** moves their vector: a history of n visits is trusted "
                + (f"n / (n + {prior:g}) against the profile alone" if prior else "fully")
                + f" (chosen on held-out users), and what they mark in the app moves it by {model.config.explicit_weight:g} "
                  "more, at once.")
with st.expander("Training configuration and history"):
    st.json(model.config.to_json())
    history = pd.DataFrame(card.history)
    if not history.empty:
        curves = [c for c in ("val_recall", "val_warm", "val_cold") if c in history]
        st.line_chart(history.set_index("epoch")[curves] if curves else history.set_index("epoch"))

st.subheader("Against the baselines")
metrics = model.metrics() or {}
if not metrics:
    st.info("No evaluation recorded for this model. Run `python -m recsys evaluate --model MODEL_DIR "
            "--dataset assets/demo --split random --split cold-users`.")
split_names = {"random": "warm users (random holdout)", "cold-users": "cold-start users", "cold-items": "cold-start restaurants",
               "time": "latest visits (time split)"}
for split, rows in metrics.items():
    table = pd.DataFrame(rows)
    if split == CURVE_KEY:
        st.markdown("**Cold-start curve**: new users' Recall@10 after their first n visits (held-out users; "
                    "their first n visits given as history, the rest to be found)")
        metric = next((c for c in table.columns if c.startswith("recall@")), None)
        if metric and {"revealed", "model"} <= set(table.columns):
            wide = table.pivot(index="revealed", columns="model", values=metric)
            left, right = st.columns([2, 3])
            left.dataframe(wide.reset_index(), hide_index=True, width="stretch")
            right.line_chart(wide, x_label="visits revealed", y_label=f"Recall@{metric.split('@')[1]}")
        continue
    metric = next((c for c in table.columns if c.startswith("recall@")), None)
    st.markdown(f"**{split_names.get(split, split)}**")
    left, right = st.columns([3, 2])
    # Every row at once (the model's own is last), names in full.
    left.dataframe(table.drop(columns=["split"], errors="ignore"), hide_index=True, width="stretch",
                   height=ROW_PX * (len(table) + 1) + 3,
                   column_config={"model": st.column_config.TextColumn("model", width="large")})
    if metric:
        right.bar_chart(table.set_index("model")[metric], horizontal=True, sort=f"-{metric}", x_label=metric,
                        y_label="")
if metrics:
    st.caption("**oracle**: ranks by the demo's hidden utility, personal noise included (no model can know that "
               "noise); **ceiling**: the same utility without the noise, the best any model can do; **seed recipe**: "
               "the original cosine loss on random labels; **nearest**: the closest places to home; **segment "
               "popular**: most popular among users sharing a profile field; **content-only**: profile likes "
               "matched to kitchens.")

st.subheader("Retrain")
st.caption("Trains on the current dataset (every variant, chosen on validation), scores the new model against "
           "the baselines on a warm-user and a new-user split, builds a new index version with the new vectors, "
           "and switches to it only once it is complete: recommendations keep working meanwhile.")
if service.settings.model_dir is not None:
    st.caption(f"RECSYS_MODEL_DIR is set ({service.settings.model_dir.name}): a retrained model serves until the "
               "app restarts, then the set model serves again. Unset it to keep a retrained one.")
if "model_retrained" in st.session_state:
    st.success(st.session_state.pop("model_retrained"))
with st.form("retrain"):
    epochs = st.number_input("At most this many epochs (early stopping usually ends sooner)", 1, 200,
                             value=int(model.config.epochs))
    submitted = st.form_submit_button("Retrain the model", type="primary")
if submitted:
    bar = st.progress(0.0, text="Training…")
    log = st.empty()
    epochs_seen: list[dict] = []

    def progress(epoch: int, total: int, record: dict) -> None:
        if record.get("stage") == "evaluating":
            bar.progress(1.0, text=f"Evaluating against the baselines: {record['model']} on the {record['split']} split…")
            return
        variant = record.get("variant", "model")
        epochs_seen.append({"variant": variant, "epoch": epoch, "loss": record.get("loss"),
                            "validation recall": record.get("val_recall"), "warm users": record.get("val_warm"),
                            "new users": record.get("val_cold")})
        bar.progress(min(epoch / max(total, 1), 1.0),
                     text=f"{variant}, epoch {epoch}/{total}: loss {record.get('loss', float('nan')):.4f}, "
                          f"validation recall {record.get('val_recall', float('nan')):.4f}")
        log.dataframe(pd.DataFrame(epochs_seen), hide_index=True, width="stretch")

    config = TrainConfig(epochs=int(epochs))
    loaded = guard(service.retrain, config, progress)
    bar.empty()
    if loaded:
        st.session_state["model_retrained"] = (
            f"Now serving model {loaded.model_id} ({loaded.model.card.selection.get('chosen', 'trained')}, "
            f"best epoch {loaded.model.card.best_epoch}); its metrics against the baselines are above.")
        st.rerun()  # the card, the metrics and the sidebar all show the new model


@st.cache_data(show_spinner="Projecting embeddings…", max_entries=4)
def embedding_map(model_id: str, user_id: str, _service) -> tuple[pd.DataFrame, float]:
    return _service.embedding_map(user_id)


st.subheader("Embedding map")
people = service.dataset().users.head(200)
user_names = dict(zip(people["user_id"], people["name"].astype(str))) if "name" in people else {}
if len(people):
    who = st.selectbox("Show the picks of", people["user_id"].tolist(), index=0, key="map_user",
                       format_func=lambda u: f"{user_names.get(u, u)} ({u})")
    frame, explained = embedding_map(service.loaded.model_id, who, service)
    st.caption(f"Restaurants, a sample of users and the chosen user in the two main directions of the "
               f"taste space, after centring each tower's vectors on its own mean ({explained:.0%} of the "
               f"variance). Highlighted: the chosen user's 10 best restaurants by the full score. Nearness here "
               f"is taste similarity only; the score also adds each restaurant's popularity bias, and a flat "
               f"picture loses most dimensions, so some picks sit away from the user.")
    st.scatter_chart(frame, x="x", y="y", color="group", height=420)
