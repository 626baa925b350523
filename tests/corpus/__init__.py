"""A corpus of malformed input files (issue 11) and what kgtool must do with each.

:mod:`tests.corpus.files` writes the clean files of every format, :mod:`tests.corpus.cases` the
defective variants with their expected behaviour, :mod:`tests.corpus.runner` runs a case through
the real ``kgtool load`` command against a real server and says whether it behaved.
``tests/test_input_corpus.py`` asserts every case; ``bench/inputs.py`` counts them.
"""
