"""ebMS 2.0 message service handler pieces (Digikoppeling ebMS2, profile osb-rm).

- ``model``: the messages as frozen dataclasses and the fixed protocol values;
- ``envelope``: build the SOAP envelope, and factories for user messages and signals;
- ``reader``: read a parsed envelope back, with the checks that need no CPA;
- ``mime``: ``multipart/related`` packaging for HTTP, and ``parse_http`` for input.
"""
