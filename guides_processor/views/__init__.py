"""The htmx console: function views, each a few lines over ``services`` and ``selectors``.

Pages render ``templates/guides_processor/<page>.html``; a page's live parts are
``_<fragment>.html`` templates that the same view (or a sibling) answers alone to htmx requests.
Every view checks permissions itself (``access.console_view``), because any fragment URL can be
requested directly.
"""
