"""Digikoppeling WUS 2W-be: SOAP 1.1 over two-way TLS, no WS-Security.

``soap``: the SOAP 1.1 envelope and faults. ``validatie``: the Berichtenbox
``ValidateAbonnementen`` operation (request, response, fault details). ``client``: the
synchronous client that sends it over a TLS client from :mod:`console.digikoppeling.tls`.
"""
