"""One RecommenderService per process (st.cache_resource), and the Redis-down message."""

from __future__ import annotations

import collections
import gc

import streamlit as st

from recsys.config import Settings
from recsys.ml.two_tower import ModelArtifactError
from recsys.serving.connection import RedisUnavailableError, resolve_url
from recsys.serving.redis_server import EmbeddedRedisError
from recsys.serving.service import RecommenderService

SERVICE_ERRORS = (RedisUnavailableError, EmbeddedRedisError, ModelArtifactError)


@st.cache_resource(show_spinner="Starting Redis and loading the model (first start only)…")
def _open_service() -> RecommenderService:
    service = RecommenderService.open(Settings())
    # The model, the catalogue and the stores live as long as the process: move them out of the
    # collector's reach, so its occasional full collections no longer scan them.
    gc.freeze()
    return service


@st.cache_resource
def query_latencies() -> collections.deque:
    """Recent recommend() latencies in ms, shared by the sessions of this process."""
    return collections.deque(maxlen=200)


_started = False  # this process has opened the service once: later reruns skip the progress box


def _start_with_progress() -> None:
    """Before the first open: start (or find) Redis with its progress on the page, so a large
    data set loading for a minute shows "loading its data (40%)" instead of a frozen spinner.
    The box takes its place on every run, not only the first: an element only the first run had
    would move everything after it, and the browser would mount the page afresh on the next run
    (the map reloads, an open expander closes under the person's click)."""
    global _started
    box = st.empty()
    if _started:
        return
    try:
        resolve_url(Settings(), notify=lambda message: box.info(message, icon=":material/hourglass_top:"))
    finally:
        box.empty()
    _started = True


def get_service(show_error: bool = True) -> RecommenderService | None:
    """The live service, or None after showing what is wrong. A failure is never cached, so the
    page recovers by itself on the next rerun once Redis is back (the embedded one restarts)."""
    global _started
    try:
        _start_with_progress()
        service = _open_service()
        service.ping()
        return service
    except SERVICE_ERRORS as exc:
        _open_service.clear()
        _started = False
        try:  # once more from scratch: an embedded server that died is started again here
            service = _open_service()
            st.toast("The connection to Redis was lost and has been re-established.", icon=":material/power:")
            return service
        except SERVICE_ERRORS:
            _open_service.clear()
        if show_error:
            show_service_error(exc)
        return None


def show_service_error(exc: Exception) -> None:
    if isinstance(exc, RedisUnavailableError):
        st.error(f"**Redis is unavailable** at `{exc.url}`: {exc.reason}.\n\n**What to do:** {exc.hint}",
                 icon=":material/power_off:")
    elif isinstance(exc, EmbeddedRedisError):
        st.error(f"**The embedded Redis could not start.** {str(exc).splitlines()[0]}\n\n"
                 "**What to do:** run `python -m recsys doctor`, or set `REDIS_URL`.", icon=":material/power_off:")
    else:  # the reason quotes files and their contents: plain text, never Markdown
        st.error("**The model could not be loaded.**", icon=":material/error:")
        st.text(str(exc))
    st.button("Retry", key=f"retry-{st.session_state.get('_retry_n', 0)}", on_click=_bump_retry)


def _bump_retry() -> None:
    st.session_state["_retry_n"] = st.session_state.get("_retry_n", 0) + 1


def guard(call, *args, **kwargs):
    """Run a service call; on a Redis/model failure show the message and return None."""
    try:
        return call(*args, **kwargs)
    except SERVICE_ERRORS as exc:
        _open_service.clear()
        show_service_error(exc)
        return None
