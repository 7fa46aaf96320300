"""System: Redis connection and modules, index statistics, query latencies, embedded server."""

from __future__ import annotations

import numpy as np
import streamlit as st

from recsys.config import Settings
from recsys.redis_server import EmbeddedRedis
from ui.router import start_page
from ui.services import guard, query_latencies

service = start_page("System", needs_service=False)
settings = service.settings if service else None

if service is not None:
    info = guard(service.client.info) or {}
    st.subheader("Redis")
    c1, c2, c3 = st.columns(3)
    c1.metric("Server", f"Redis {info.get('redis_version', '?')}")
    c2.metric("Memory used", info.get("used_memory_human", "?"))
    c3.metric("Clients", info.get("connected_clients", "?"))
    modules = guard(service.client.execute_command, "MODULE", "LIST") or []
    names = sorted({(m.get(b"name") or m.get("name")).decode() if isinstance(m.get(b"name") or m.get("name"), bytes)
                    else str(m.get(b"name") or m.get("name")) for m in modules if isinstance(m, dict)})
    st.write("Modules: " + (", ".join(names) if names else "none reported"))
    st.write("Connection: " + ("`REDIS_URL` (credentials hidden)" if service.settings.redis_url
                               else "embedded server on 127.0.0.1 with a password"))

    st.subheader("Restaurant index")
    status = guard(service.restaurants.status)
    if status is not None and status.index_name:
        ft = guard(service.client.ft(status.index_name).info) or {}
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Version", f"v{status.version}")
        c2.metric("Restaurants", f"{status.documents:,}")
        c3.metric("Vector index", f"{float(ft.get('vector_index_sz_mb', 0)):.1f} MB")
        c4.metric("Profiles", f"{guard(service.users.count) or 0:,}")
        st.caption(f"Alias `{service.restaurants.alias}` → `{status.index_name}`; built {status.meta.get('indexed_at', '?')} "
                   f"with model {status.meta.get('model_id', '?')}.")

    st.subheader("Recent queries")
    latencies = list(query_latencies())
    if latencies:
        c1, c2, c3 = st.columns(3)
        c1.metric("Queries", len(latencies))
        c2.metric("p50", f"{np.percentile(latencies, 50):.1f} ms")
        c3.metric("p95", f"{np.percentile(latencies, 95):.1f} ms")
        st.line_chart(latencies, height=160)
    else:
        st.caption("No queries yet in this process: open Explore.")

st.subheader("Embedded server")
settings = settings or Settings()
if settings.redis_url:
    st.write("Not used: `REDIS_URL` is set.")
else:
    server = EmbeddedRedis(settings.redis_data_dir)
    port = server.port()
    if port:
        st.write(f"Running: pid {server.pid()}, 127.0.0.1:{port}, data in `{settings.redis_data_dir}` (AOF on).")
    else:
        st.write(f"Not running (data in `{settings.redis_data_dir}`). The app starts it on the next rerun.")
