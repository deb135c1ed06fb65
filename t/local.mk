# t/: protocol tests against the real binary.
