"""The console's pages by area, each a Flask blueprint with its templates beside it:
``auth`` (sign-in, own account), ``reports`` (queue, report, workflow, dashboard, export),
``admin`` (accounts, API tokens) and ``api`` (the JSON API and its description)."""
