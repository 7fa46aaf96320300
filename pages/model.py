"""Model: the model card, metrics against the baselines, retraining, and a map of the embeddings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from recsys.train import TrainConfig
from ui.catalogue import catalogue
from ui.services import guard
from ui.router import start_page


service = start_page("Model")
model = service.model
info = model.info

st.subheader("Model card")
counts = info.get("counts", {})
c1, c2, c3, c4 = st.columns(4)
c1.metric("Model id", service.loaded.model_id)
c2.metric("Trained on", f"{counts.get('interactions', 0):,} visits")
c3.metric("Training time", f"{info.get('train_seconds', 0):.1f} s")
c4.metric("Best epoch", info.get("best_epoch", "?"))
st.caption(f"Trained {info.get('trained_at', '?')} on {counts.get('users', '?')} users × {counts.get('items', '?')} "
           f"restaurants (data fingerprint `{info.get('data_fingerprint', '?')}`); loaded from `{service.loaded.path}`. "
           f"Two towers (MLP {model.config.tower.hidden}, "
           f"{f'id embeddings {model.config.tower.id_dim}-d' if model.config.tower.id_dim else 'features only: it beat id embeddings on validation'}) → "
           f"{model.dim}-d unit vectors; in-batch softmax with logQ correction, temperature {model.config.temperature}.")
with st.expander("Training configuration and history"):
    st.json(model.config.to_json())
    history = pd.DataFrame(info.get("history", []))
    if not history.empty:
        st.line_chart(history.set_index("epoch")[["val_recall"]] if "val_recall" in history else history.set_index("epoch"))

st.subheader("Against the baselines")
metrics = model.metrics() or {}
if not metrics:
    st.info("No evaluation recorded for this model. Run `python -m recsys evaluate --model MODEL_DIR "
            "--dataset assets/demo --split random --split cold-users`.")
split_names = {"random": "warm users (random holdout)", "cold-users": "cold-start users", "cold-items": "cold-start restaurants",
               "time": "latest visits (time split)"}
for split, rows in metrics.items():
    table = pd.DataFrame(rows)
    metric = next((c for c in table.columns if c.startswith("recall@")), None)
    st.markdown(f"**{split_names.get(split, split)}**")
    left, right = st.columns([3, 2])
    left.dataframe(table.drop(columns=["split"], errors="ignore"), hide_index=True, width="stretch")
    if metric:
        right.bar_chart(table.set_index("model")[metric], horizontal=True)

st.subheader("Retrain")
st.caption("Trains on the current dataset, builds a new index version with the new vectors, and switches "
           "to it only once it is complete: recommendations keep working meanwhile.")
with st.form("retrain"):
    epochs = st.number_input("At most this many epochs (early stopping usually ends sooner)", 1, 200,
                             value=int(model.config.epochs))
    submitted = st.form_submit_button("Retrain the model", type="primary")
if submitted:
    bar = st.progress(0.0, text="Training…")

    def progress(epoch: int, total: int, record: dict) -> None:
        bar.progress(epoch / total, text=f"{record.get('variant', 'model')}, epoch {epoch}: "
                                         f"validation recall {record.get('val_recall', 0):.4f}")

    config = TrainConfig.from_json({**model.config.to_json(), "epochs": int(epochs)})
    loaded = guard(service.retrain, config, progress)
    bar.empty()
    if loaded:
        st.success(f"Now serving model {loaded.model_id} (best epoch {loaded.model.info.get('best_epoch')}).")


@st.cache_data(show_spinner="Projecting embeddings…", max_entries=2)
def projection(model_id: str, _service) -> pd.DataFrame:
    items = catalogue(_service).sample(n=min(1500, len(catalogue(_service))), random_state=0)
    all_users = _service.dataset().users
    users = all_users.sample(n=min(400, len(all_users)), random_state=0)
    vectors = np.vstack([_service.model.embed_items(items), _service.model.embed_users(users)])
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)  # PCA by SVD: the 2 main directions
    xy = centred @ vt[:2].T
    groups = [c.split("|")[0] for c in items["cuisines"].fillna("")] + ["USER"] * len(users)
    names = items["name"].tolist() + users.get("name", users["user_id"]).tolist()
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "group": groups, "name": names})


st.subheader("Embedding map")
st.caption("Restaurants (coloured by their first cuisine) and users (USER) in the first two principal "
           "directions of the shared embedding space: users sit near what they like.")
frame = projection(service.loaded.model_id, service)
top = frame["group"].value_counts().index[:12]
frame.loc[~frame["group"].isin(top), "group"] = "other"
st.scatter_chart(frame, x="x", y="y", color="group", height=420)
