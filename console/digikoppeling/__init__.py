"""Digikoppeling transport: ebMS2 (``ebms/``), WUS (``wus/``) and two-way TLS (``tls``)."""
