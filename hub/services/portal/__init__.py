"""The portal (``/services/portal/``): every logged-in user's home page, the data catalogue
and a page per dataset, in French or English, server-rendered with no JavaScript.

- ``app.py``: the tornado application and its routes; ``__main__.py`` runs it.
- ``handlers.py``: the pages, HubOAuth login, error pages in the visitor's language.
- ``datasets_client.py``: the datasets service's API, called with the visitor's own token.
- ``catalog.py`` (search and facets), ``dataset_page.py`` (a dataset in words),
  ``audience.py`` (workspace rule, dashboards), ``language.py`` + ``labels.py`` (words),
  ``markdown.py`` (descriptions as safe HTML); ``templates/`` and ``static/portal.css``.
"""
