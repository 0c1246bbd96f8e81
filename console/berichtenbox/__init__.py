"""The Logius Berichtenbox services as payloads.

``batch``: build and read the ``Berichten`` batch (GLOBE-R-BV-Request).
``result``: read and build the ``BerichtVerwerkResponse`` (GLOBE-R-BV-Result).
Other modules here cover the AbonnementService, WUS ``ValidateAbonnementen`` and the
letter preflight. Nothing here knows the engine, the services or the UI.
"""
