# daemon/options.mk: command-line options, main() and the man page.
DAEMON_SRC += daemon/options.h daemon/options.c daemon/main.c
dist_man_MANS += daemon/cashew.1
