"""System: Redis connection and modules, index statistics, query latencies, embedded server."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from recsys.config import Settings
from recsys.serving.status import embedded_status
from ui.router import start_page
from ui.services import guard, query_latencies

service = start_page("System", needs_service=False)
settings = service.settings if service else None

if service is not None:
    redis_info = guard(service.redis_status)
    if redis_info is not None:
        st.subheader("Redis")
        c1, c2, c3 = st.columns(3)
        c1.metric("Server", f"Redis {redis_info.version}")
        c2.metric("Memory used", redis_info.memory)
        c3.metric("Clients", redis_info.clients)
        st.write("Modules: " + (", ".join(redis_info.modules) if redis_info.modules else "none reported"))
        st.write("Connection: " + ("`REDIS_URL` (credentials hidden)" if redis_info.external
                                   else "embedded server on 127.0.0.1 with a password"))

    st.subheader("Restaurant index")
    index = guard(service.index_summary)
    if index is not None and index.index_name:
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Version", f"v{index.version}")
        c2.metric("Restaurants", f"{index.documents:,}")
        c3.metric("Vector index", f"{index.vector_index_mb:.1f} MB")
        c4.metric("Profiles", f"{index.profiles:,}")
        st.caption(f"Alias `{index.alias}` → `{index.index_name}`; built {index.meta.get('indexed_at', '?')} "
                   f"with model {index.meta.get('model_id', '?')}.")

    st.subheader("Recent queries")
    latencies = list(query_latencies())
    if latencies:
        c1, c2, c3 = st.columns(3)
        c1.metric("Queries", len(latencies))
        c2.metric("p50", f"{np.percentile(latencies, 50):.1f} ms")
        c3.metric("p95", f"{np.percentile(latencies, 95):.1f} ms")
        # A line with a point per query: one query is a dot, not a blank chart.
        frame = pd.DataFrame({"query": range(1, len(latencies) + 1), "latency": latencies})
        st.altair_chart(alt.Chart(frame, height=160).mark_line(point=True).encode(
            x=alt.X("query:Q", title="query (oldest to newest)", axis=alt.Axis(tickMinStep=1, format="d")),
            y=alt.Y("latency:Q", title="latency (ms)"),
            tooltip=[alt.Tooltip("query:Q", title="query"), alt.Tooltip("latency:Q", title="latency (ms)", format=".1f")]),
            width="stretch")
    else:
        st.caption("No queries yet in this process: open Explore.")

st.subheader("Embedded server")
embedded = embedded_status(settings or Settings())
if not embedded.used:
    st.write("Not used: `REDIS_URL` is set.")
elif embedded.running:
    st.write(f"Running: pid {embedded.pid}, 127.0.0.1:{embedded.port}, data in `{embedded.data_dir}` (AOF on).")
else:
    st.write(f"Not running (data in `{embedded.data_dir}`). The app starts it on the next rerun.")
