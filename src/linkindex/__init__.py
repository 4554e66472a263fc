"""linkindex: turn Markdown notes full of links into a searchable, living library."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/linkindex/linkindex"
