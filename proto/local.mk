# proto/: the text protocol parser and composer, and its unit tests.
PROTO_SRC +=
