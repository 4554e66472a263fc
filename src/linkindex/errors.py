"""The error tree of linkindex.

Every error the library raises on purpose derives from ``LinkindexError``::

    LinkindexError
    ├── UserError            the user can fix it (exit 1): bad path, option, query, config
    │   ├── NotFoundError     a path, URL or topic that is not there
    │   ├── ConfigError       config.toml is malformed or has a bad value
    │   ├── EmptyLibraryError the library has nothing to work on yet
    │   ├── LockedError       another linkindex process is writing to the library
    │   └── QueryError        a search query that cannot be parsed
    ├── StoreError           the library files are damaged or too new (exit 2)
    │   └── SchemaError       the database schema is newer than this linkindex
    └── InstallError         linkindex is installed without a package it needs (exit 2)

A fetch that fails is *not* an error: it is an outcome recorded on the link
(see ``models.Outcome``). Third-party exceptions are converted at the boundary
with ``raise ... from exc``.
"""


class LinkindexError(Exception):
    """Base of every error linkindex raises on purpose."""


class UserError(LinkindexError):
    """Something the user can correct; the message says how."""


class NotFoundError(UserError):
    """A path, URL or topic that does not exist."""


class ConfigError(UserError):
    """config.toml (or an environment override) is malformed."""


class EmptyLibraryError(UserError):
    """The library holds nothing for this command to work on."""


class LockedError(UserError):
    """Another linkindex process holds the library's write lock."""


class QueryError(UserError):
    """A search query that cannot be parsed."""


class StoreError(LinkindexError):
    """The library's files are damaged or unreadable."""


class SchemaError(StoreError):
    """The database was written by a newer linkindex."""


class InstallError(LinkindexError):
    """A package linkindex needs is missing from its installation; reinstalling fixes it."""
