"""Two-tower restaurant recommender: data, model, training, evaluation and Redis serving.

Nothing in this package imports streamlit: the pages under pages/ and ui/ call into it.
"""

__version__ = "0.1.0"
