# daemon/options.mk: command-line options, main() and the man page.
DAEMON_SRC +=
