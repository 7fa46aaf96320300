"""Streamlit-side helpers shared by the pages: cached service, view state in the URL, the map
adapter. The recommender itself lives in recsys/, which never imports streamlit."""
